import { existsSync } from "node:fs";
import * as path from "node:path";
import { Command } from "commander";
import { loadPlan } from "../fleet/documents";
import { InputError } from "../errors";
import { renderPlanText } from "./plan";
import { CliIo } from "./scan";

/** The package root holds Pulumi.yaml (the remediation program). */
export function programDir(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "Pulumi.yaml"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new InputError("cannot find the remediation program (Pulumi.yaml) next to rdp-guard");
    dir = up;
  }
  return dir;
}

export function remediateCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command("remediate")
    .description("Apply a plan's online repairs with `pulumi up` (Automation API); --dry-run runs a preview")
    .requiredOption("--plan <file>", "plan JSON written by `rdp-guard plan`")
    .option("--dry-run", "preview only", false)
    .option("--stack <name>", "Pulumi stack of the remediation program", "rdp-guard-remediation")
    .option("--max-age-hours <n>", "reject plans older than this", (v: string) => Number(v), 24)
    .action(async (opts: { plan: string; dryRun: boolean; stack: string; maxAgeHours: number }) => {
      const plan = await loadPlan(opts.plan, opts.maxAgeHours);
      io.stderr(renderPlanText(plan));
      const online = plan.vms.filter((v) => v.actions.includes("online-rerun")).length + plan.nsgFixes.length;
      if (online === 0) {
        io.stdout("nothing to do online (offline repairs run with `rdp-guard repair`)\n");
        setExit(0);
        return;
      }
      // The Pulumi-side code loads only here, so scan/audit/plan never import Pulumi.
      const { runRemediationProgram } = await import("../../components/fleet/automation");
      const r = await runRemediationProgram({
        planFile: opts.plan, stackName: opts.stack, dryRun: opts.dryRun, workDir: programDir(), onOutput: (l) => io.stdout(l),
      });
      io.stdout(`${opts.dryRun ? "preview" : "update"} finished: ${r.summary}\n`);
      setExit(0);
    });
}
