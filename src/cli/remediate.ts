import { existsSync } from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { loadPlan } from "../fleet/documents";
import { RunnerRequest } from "../fleet/runner-request";
import { InputError } from "../errors";
import { renderPlanText } from "../report/fleet-text";
import { CliIo, CommandContext } from "./io";

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
    const child = spawn(process.execPath, [runnerPath(), JSON.stringify(request)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d: Buffer) => io.stdout(d.toString()));
    child.stderr.on("data", (d: Buffer) => io.stderr(d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 2 : 0)));
  });
}

export interface RemediateCliOptions {
  plan?: string;
  remove: string[];
  dryRun: boolean;
  stack: string;
  maxAgeHours: number;
  extensionName: string;
}

export async function runRemediate(opts: RemediateCliOptions, { io }: CommandContext): Promise<number> {
  if (!opts.plan && opts.remove.length === 0) {
    throw new InputError("pass --plan <file>, or --remove <id> to take a fix out of the desired state");
  }
  const plan = opts.plan ? await loadPlan(opts.plan, opts.maxAgeHours) : undefined;
  if (plan) io.stderr(renderPlanText(plan));
  const online = plan ? plan.vms.filter((v) => v.actions.includes("online-rerun")).length + plan.nsgFixes.length : 0;
  if (online === 0 && opts.remove.length === 0) {
    io.stdout("nothing to do online (offline repairs run with `rdp-guard repair`)\n");
    return 0;
  }
  const request: RunnerRequest = {
    ...(opts.plan ? { planFile: path.resolve(opts.plan) } : {}),
    remove: opts.remove,
    maxAgeHours: opts.maxAgeHours,
    stackName: opts.stack,
    dryRun: opts.dryRun,
    extensionName: opts.extensionName,
  };
  return runRunner(request, io);
}
