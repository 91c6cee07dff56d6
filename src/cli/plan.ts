import { Command } from "commander";
import { auditFleet } from "../fleet/audit";
import { loadAudit } from "../fleet/documents";
import { RemediationPlan, buildPlan } from "../fleet/plan";
import { AzureCliOptions, addAzureOptions, fleetSource, parseMaxAgeHours, selectionOf } from "./azure-options";
import { configFromFile } from "./audit";
import { writeOutput } from "./output";
import { CliIo } from "./scan";

interface PlanCliOptions extends AzureCliOptions {
  auditFile?: string;
  output?: string;
  vm: string[];
  maxAgeHours: number;
  config?: string;
}

export function renderPlanText(plan: RemediationPlan): string {
  const lines = plan.vms.map((v) => `${(v.skipped ? "SKIP" : v.actions.join("+") || "none").padEnd(28)} ${v.name}  ${v.why.join(" | ")}`);
  const n = (a: string) => plan.vms.filter((v) => v.actions.includes(a as never)).length;
  lines.push("", `plan ${plan.id}: ${n("online-rerun")} online re-run(s), ${plan.nsgFixes.length} NSG fix(es), ${n("offline-repair")} offline repair(s), ${plan.vms.filter((v) => v.skipped).length} skipped`);
  return lines.join("\n") + "\n";
}

async function liveAudit(opts: PlanCliOptions, io: CliIo) {
  const source = await fleetSource(opts, process.env, (l) => io.stderr(`${l}\n`));
  return auditFleet(source, selectionOf(opts), {
    config: await configFromFile(opts.config), extensionName: opts.extensionName, concurrency: opts.concurrency, cloud: source.cloud.name,
  });
}

export function planCommand(io: CliIo, setExit: (code: number) => void): Command {
  const cmd = new Command("plan")
    .description("Turn an audit (live, or --audit-file) into an explicit remediation plan; changes nothing")
    .option("--audit-file <file>", "audit JSON written by `rdp-guard audit --format json`")
    .option("--output <file>", "write the plan JSON here (default: standard output)")
    .option("--vm <name|id>", "only plan for this VM (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--max-age-hours <n>", "reject audits older than this", parseMaxAgeHours, 24)
    .option("--config <file>", "JSON config file (for a live audit)");
  addAzureOptions(cmd);
  return cmd.action(async (opts: PlanCliOptions) => {
    const audit = opts.auditFile
      ? await loadAudit(opts.auditFile, opts.maxAgeHours)
      : await liveAudit(opts, io);
    const plan = buildPlan(audit, { select: opts.vm });
    const json = JSON.stringify(plan, null, 2) + "\n";
    if (opts.output) {
      await writeOutput(opts.output, json, opts.auditFile ? [opts.auditFile] : []);
      io.stdout(renderPlanText(plan));
    } else io.stdout(json);
    setExit(0);
  });
}
