import { auditFleet } from "../fleet/audit";
import { loadAudit } from "../fleet/documents";
import { buildPlan } from "../fleet/plan";
import { renderPlanText } from "../report/fleet-text";
import { AzureCliOptions, fleetSource, selectionOf } from "./azure-options";
import { configFromFile } from "./config-file";
import { CliIo, CommandContext } from "./io";
import { writeOutput } from "./output";

interface PlanCliOptions extends AzureCliOptions {
  auditFile?: string;
  output?: string;
  vm: string[];
  maxAgeHours: number;
  config?: string;
}

async function liveAudit(opts: PlanCliOptions, io: CliIo, env: NodeJS.ProcessEnv) {
  const source = await fleetSource(opts, env, (l) => io.stderr(`${l}\n`));
  return auditFleet(source, selectionOf(opts), {
    config: await configFromFile(opts.config),
    extensionName: opts.extensionName,
    concurrency: opts.concurrency,
    cloud: source.cloud.name,
  });
}

export async function runPlan(opts: PlanCliOptions, { io, env }: CommandContext): Promise<number> {
  const audit = opts.auditFile ? await loadAudit(opts.auditFile, opts.maxAgeHours) : await liveAudit(opts, io, env);
  const plan = buildPlan(audit, { select: opts.vm });
  const json = JSON.stringify(plan, null, 2) + "\n";
  if (opts.output) {
    await writeOutput(opts.output, json, opts.auditFile ? [opts.auditFile] : []);
    io.stdout(renderPlanText(plan));
  } else io.stdout(json);
  return 0;
}
