import { accessSync, constants } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InputError } from "../../src/errors";

/** Where the Pulumi CLI would be: PATH, then the installer's default ~/.pulumi/bin. */
export function findPulumiCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const exe = process.platform === "win32" ? "pulumi.exe" : "pulumi";
  const dirs = [...(env.PATH ?? "").split(path.delimiter).filter(Boolean), path.join(env.HOME ?? os.homedir(), ".pulumi", "bin")];
  for (const d of dirs) {
    const candidate = path.join(d, exe);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const PULUMI_MISSING = "the Pulumi CLI is not installed (no `pulumi` on PATH or in ~/.pulumi/bin): install it from https://www.pulumi.com/docs/install/ and run again";

export interface RunProgramOptions {
  readonly planFile: string;
  readonly stackName: string;
  readonly dryRun: boolean;
  /** Directory of the Pulumi.yaml (the package root). */
  readonly workDir: string;
  readonly onOutput: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs the remediation program through the Automation API: preview for a dry run, else up. */
export async function runRemediationProgram(o: RunProgramOptions): Promise<{ summary: string }> {
  const cli = findPulumiCli(o.env);
  if (!cli) throw new InputError(PULUMI_MISSING);
  const { LocalWorkspace, PulumiCommand } = await import("@pulumi/pulumi/automation");
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(path.dirname(cli)), skipVersionCheck: true });
  const stack = await LocalWorkspace.createOrSelectStack({ stackName: o.stackName, workDir: o.workDir }, { pulumiCommand });
  await stack.setConfig("azure-rdp-guard:planFile", { value: path.resolve(o.planFile) });
  if (o.dryRun) {
    const r = await stack.preview({ onOutput: o.onOutput });
    return { summary: JSON.stringify(r.changeSummary) };
  }
  const r = await stack.up({ onOutput: o.onOutput });
  return { summary: JSON.stringify(r.summary.resourceChanges ?? {}) };
}
