import { accessSync, constants } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Where the Pulumi CLI would be: PATH, then the installer's default ~/.pulumi/bin. */
export function findPulumiCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const exe = process.platform === "win32" ? "pulumi.exe" : "pulumi";
  const home = path.join(env.HOME ?? os.homedir(), ".pulumi", "bin");
  for (const d of [...(env.PATH ?? "").split(path.delimiter).filter(Boolean), home]) {
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

export const PULUMI_MISSING =
  "the Pulumi CLI is not installed (no `pulumi` on PATH or in ~/.pulumi/bin): " +
  "install it from https://www.pulumi.com/docs/install/ and run again";

export const SDK_MISSING =
  "remediate needs the Pulumi SDK beside azure-rdp-guard: npm install @pulumi/pulumi @pulumi/azure-native";
