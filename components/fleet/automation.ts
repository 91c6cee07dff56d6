import * as path from "node:path";
import { UserError } from "../../src/errors";
import { RemediationPlan } from "../../src/fleet/plan";
import { PULUMI_MISSING, findPulumiCli } from "./pulumi-cli";
import { DesiredState, nextDesiredState, parseDesiredState } from "../../src/fleet/desired-state";
import { programOutputs, remediationResources } from "./remediation-program";

/** The Pulumi project the inline program runs as (its stacks hold the remediation state). */
export const REMEDIATION_PROJECT = "azure-rdp-guard-remediation";

export interface RunProgramOptions {
  /** Plan whose fixes join the desired state (absent when only removing). */
  readonly plan?: RemediationPlan;
  /** VM or NSG ids whose fixes leave the desired state on purpose. */
  readonly remove?: readonly string[];
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
  // The desired state is cumulative: it starts from the stack's last `desiredState` output, so a
  // plan adds fixes and only --remove takes one out (src/fleet/desired-state.ts).
  // eslint-disable-next-line prefer-const -- the program closure reads it; it is set once the stack's outputs are read
  let state: DesiredState | undefined;
  const program = async (): Promise<Record<string, unknown>> => programOutputs(remediationResources(state!));
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: o.stackName, projectName: REMEDIATION_PROJECT, program },
    { pulumiCommand },
  );
  const previous = parseDesiredState(
    (await stack.outputs()).desiredState?.value,
    `stack ${o.stackName} output desiredState`,
  );
  const plan =
    o.plan && !o.plan.extensionName && o.extensionName ? { ...o.plan, extensionName: o.extensionName } : o.plan;
  state = nextDesiredState(previous, { plan, remove: o.remove });
  if (o.dryRun) {
    const r = await stack.preview({ onOutput: o.onOutput });
    return { summary: JSON.stringify(r.changeSummary) };
  }
  const r = await stack.up({ onOutput: o.onOutput });
  return { summary: JSON.stringify(r.summary.resourceChanges ?? {}) };
}
