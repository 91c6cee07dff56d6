import { existsSync } from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { Command } from "commander";
import { loadPlan } from "../fleet/documents";
import { RunnerRequest } from "../fleet/runner-request";
import { InputError } from "../errors";
import { renderPlanText } from "./plan";
import { parseMaxAgeHours } from "./azure-options";
import { CliIo } from "./scan";

/**
 * The remediation runner (components/fleet/runner.ts, compiled). It runs in its own process, so the
 * CLI (src/) never loads Pulumi: only `remediate` starts it, after the plan has been checked here.
 */
export function runnerPath(): string {
  const file = path.join(__dirname, "..", "..", "components", "fleet", "runner.js");
  if (!existsSync(file)) throw new InputError(`${file}: the remediation runner is missing (build the package first)`);
  return file;
}

/** Runs the runner with the request; its output streams through `io`; resolves to its exit code. */
function runRunner(request: RunnerRequest, io: CliIo): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runnerPath(), JSON.stringify(request)], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => io.stdout(d.toString()));
    child.stderr.on("data", (d: Buffer) => io.stderr(d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 2 : 0)));
  });
}

export function remediateCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command("remediate")
    .description(
      "Add a plan's online repairs to the remediation stack's cumulative desired state and apply it with " +
        "`pulumi up` (Automation API); earlier fixes stay until --remove names them; --dry-run runs a preview",
    )
    .option("--plan <file>", "plan JSON written by `rdp-guard plan`")
    .option("--remove <id>", "VM or NSG id whose earlier fix leaves the desired state on purpose (repeatable)",
      (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--dry-run", "preview only", false)
    .option("--stack <name>", "Pulumi stack of the remediation program", "rdp-guard-remediation")
    .option("--extension-name <name>", "name of the hardening CustomScript extension (as in audit)", "azure-rdp-guard")
    .option("--max-age-hours <n>", "reject plans older than this", parseMaxAgeHours, 24)
    .action(async (opts: {
      plan?: string; remove: string[]; dryRun: boolean; stack: string; maxAgeHours: number; extensionName: string;
    }) => {
      if (!opts.plan && opts.remove.length === 0) {
        throw new InputError("pass --plan <file>, or --remove <id> to take a fix out of the desired state");
      }
      const plan = opts.plan ? await loadPlan(opts.plan, opts.maxAgeHours) : undefined;
      if (plan) io.stderr(renderPlanText(plan));
      const online = plan ? plan.vms.filter((v) => v.actions.includes("online-rerun")).length + plan.nsgFixes.length : 0;
      if (online === 0 && opts.remove.length === 0) {
        io.stdout("nothing to do online (offline repairs run with `rdp-guard repair`)\n");
        setExit(0);
        return;
      }
      const request: RunnerRequest = {
        ...(opts.plan ? { planFile: path.resolve(opts.plan) } : {}), remove: opts.remove,
        maxAgeHours: opts.maxAgeHours, stackName: opts.stack, dryRun: opts.dryRun,
        extensionName: opts.extensionName,
      };
      setExit(await runRunner(request, io));
    });
}
