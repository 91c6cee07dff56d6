import { UserError, isUserError } from "../../src/errors";
import { loadPlan } from "../../src/fleet/documents";
import { RunnerRequest } from "../../src/fleet/runner-request";
import { PULUMI_MISSING, SDK_MISSING, findPulumiCli } from "./pulumi-cli";

/**
 * The process `rdp-guard remediate` starts: it loads Pulumi (the CLI itself never does, see
 * src/cli/remediate.ts) and runs the plan's online repairs. Argument: one JSON object,
 * a RunnerRequest. Exit 0 when the preview/update finished, 2 with one line on stderr
 * otherwise.
 */
async function main(arg: string | undefined): Promise<number> {
  const req = JSON.parse(arg ?? "{}") as RunnerRequest;
  const plan = req.planFile ? await loadPlan(req.planFile, req.maxAgeHours) : undefined;
  // The Pulumi SDK and azure-native are optional peer dependencies: a scan-only install skips them.
  for (const m of ["@pulumi/pulumi/automation", "@pulumi/azure-native/network"]) {
    try {
      require.resolve(m);
    } catch {
      throw new UserError(`${SDK_MISSING} (cannot find ${m})`);
    }
  }
  // Checked before Pulumi and the azure-native modules load, so a missing CLI fails at once.
  if (!findPulumiCli()) throw new UserError(PULUMI_MISSING);
  const { runRemediationProgram } = await import("./automation");
  const r = await runRemediationProgram({
    plan,
    remove: req.remove,
    stackName: req.stackName,
    dryRun: req.dryRun,
    extensionName: req.extensionName,
    onOutput: (l) => process.stdout.write(l),
  });
  process.stdout.write(`${req.dryRun ? "preview" : "update"} finished: ${r.summary}\n`);
  return 0;
}

main(process.argv[2]).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    const err = e as Error;
    // Pulumi's CommandError carries the CLI's whole stderr; its last non-empty line says what failed.
    const line = isUserError(e) ? err.message : (err.message ?? String(e)).trim().split("\n").filter(Boolean).pop();
    process.stderr.write(`rdp-guard: ${isUserError(e) ? "" : "remediation failed: "}${line}\n`);
    if (process.env.RDP_GUARD_DEBUG && !isUserError(e)) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 2;
  },
);
