import * as path from "node:path";
import { UserError } from "../../src/errors";
import { RemediationPlan } from "../../src/fleet/plan";
import { PULUMI_MISSING, findPulumiCli } from "./pulumi-cli";
import { programOutputs, remediationResources } from "./remediation-program";

/** The Pulumi project the inline program runs as (its stacks hold the remediation state). */
export const REMEDIATION_PROJECT = "azure-rdp-guard-remediation";

export interface RunProgramOptions {
  readonly plan: RemediationPlan;
  readonly stackName: string;
  readonly dryRun: boolean;
  readonly extensionName?: string;
  readonly onOutput: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs the remediation program as an Automation API inline program: preview for a dry run, else
 * up. An inline program needs no Pulumi.yaml and no TypeScript toolchain, so it runs from an
 * installed package; the Pulumi CLI is the only outside tool.
 */
export async function runRemediationProgram(o: RunProgramOptions): Promise<{ summary: string }> {
  const cli = findPulumiCli(o.env);
  if (!cli) throw new UserError(PULUMI_MISSING);
  const { LocalWorkspace, PulumiCommand } = await import("@pulumi/pulumi/automation");
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(path.dirname(cli)), skipVersionCheck: true });
  const program = async (): Promise<Record<string, unknown>> =>
    programOutputs(remediationResources(o.plan, { extensionName: o.extensionName }));
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: o.stackName, projectName: REMEDIATION_PROJECT, program },
    { pulumiCommand },
  );
  if (o.dryRun) {
    const r = await stack.preview({ onOutput: o.onOutput });
    return { summary: JSON.stringify(r.changeSummary) };
  }
  const r = await stack.up({ onOutput: o.onOutput });
  return { summary: JSON.stringify(r.summary.resourceChanges ?? {}) };
}
