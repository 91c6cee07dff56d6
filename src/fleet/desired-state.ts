import type { CloudName } from "../azure/clouds";
import { InputError } from "../errors";
import { extensionNameOrDefault } from "../vm/extension-name";
import { NsgFix, RemediationPlan } from "./plan";
import { checkTrustedPrefixes } from "./trusted";

/**
 * The remediation stack's desired state, cumulative across plans: each `rdp-guard remediate` adds
 * the plan's online fixes to what earlier runs declared; nothing leaves it except through
 * `remediate --remove <id>`. The remediation program declares exactly this state, and exports it as
 * the stack output `desiredState` for the next run to start from. Pure: no Pulumi, no I/O.
 */
export interface DesiredVm {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  /** Plan that last asked for a run: the extension's forceUpdateTag (a new plan re-runs the script). */
  readonly runId: string;
  readonly rdpPort: number;
  /** Adopt the existing extension with Pulumi `import` (set only when the VM enters the state). */
  readonly adoptExtensionId?: string;
}

export interface DesiredState {
  readonly version: 1;
  readonly kind: "rdp-guard-remediation-state";
  readonly cloud?: CloudName;
  readonly extensionName: string;
  readonly vms: readonly DesiredVm[];
  readonly nsgFixes: readonly NsgFix[];
  /** One line per change, oldest first (what was added or removed, by which plan or command). */
  readonly history: readonly string[];
}

export interface StateChange {
  readonly plan?: RemediationPlan;
  /** VM or NSG ids whose fixes are removed on purpose. */
  readonly remove?: readonly string[];
  readonly now?: Date;
}

const VM_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i;
const NSG_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/networkSecurityGroups\/([^/]+)$/i;

function consistent(re: RegExp, id: string, sub: string, rg: string, name: string): boolean {
  const m = re.exec(id);
  return (
    !!m &&
    [m[1], m[2], m[3]].map((x) => x!.toLowerCase()).join("/") === [sub, rg, name].map((x) => x.toLowerCase()).join("/")
  );
}

/** Reads the previous state (the stack output), or fails with one line. */
export function parseDesiredState(v: unknown, where: string): DesiredState | undefined {
  if (v === undefined || v === null) return undefined;
  const s = v as Partial<DesiredState>;
  if (
    s.kind !== "rdp-guard-remediation-state" ||
    s.version !== 1 ||
    !Array.isArray(s.vms) ||
    !Array.isArray(s.nsgFixes)
  ) {
    throw new InputError(`${where}: not an rdp-guard remediation state (version 1); refusing to start from it`);
  }
  return { ...s, history: Array.isArray(s.history) ? s.history : [] } as DesiredState;
}

export function nextDesiredState(previous: DesiredState | undefined, change: StateChange): DesiredState {
  const at = (change.now ?? new Date()).toISOString();
  const plan = change.plan;
  const vms = new Map((previous?.vms ?? []).map((v) => [v.id.toLowerCase(), v]));
  const fixes = new Map((previous?.nsgFixes ?? []).map((f) => [f.nsgId.toLowerCase(), f]));
  const history = [...(previous?.history ?? [])];
  const cloud = previous?.cloud ?? plan?.cloud;
  if (plan) {
    if (previous?.cloud && plan.cloud && previous.cloud !== plan.cloud) {
      throw new InputError(
        `plan ${plan.id} is for ${plan.cloud}, but this remediation stack manages ${previous.cloud}: ` +
          "use one stack per cloud",
      );
    }
    for (const vm of plan.vms) {
      if (vm.skipped || !vm.actions.includes("online-rerun")) continue;
      if (!consistent(VM_ID, vm.id, vm.subscriptionId, vm.resourceGroup, vm.name)) {
        throw new InputError(`plan ${plan.id}: VM id ${vm.id} does not match its name/resource group/subscription`);
      }
      const before = vms.get(vm.id.toLowerCase());
      vms.set(vm.id.toLowerCase(), {
        id: vm.id,
        name: vm.name,
        subscriptionId: vm.subscriptionId,
        resourceGroup: vm.resourceGroup,
        location: vm.location,
        runId: plan.id,
        rdpPort: plan.config.rdpPorts[0] ?? 3389,
        // Only a VM new to the stack is imported; one already declared is in Pulumi's state.
        ...(before
          ? before.adoptExtensionId
            ? { adoptExtensionId: before.adoptExtensionId }
            : {}
          : vm.adoptExtensionId
            ? { adoptExtensionId: vm.adoptExtensionId }
            : {}),
      });
      history.push(`${at} plan ${plan.id}: ${before ? "re-run" : "add"} hardening on ${vm.id}`);
    }
    for (const fix of plan.nsgFixes) {
      if (!consistent(NSG_ID, fix.nsgId, fix.subscriptionId, fix.resourceGroup, fix.nsgName)) {
        throw new InputError(
          `plan ${plan.id}: NSG id ${fix.nsgId} does not match its name/resource group/subscription`,
        );
      }
      checkTrustedPrefixes(fix.trustedPrefixes, plan.config, `plan ${plan.id}, NSG ${fix.nsgName}`);
      history.push(
        `${at} plan ${plan.id}: ${fixes.has(fix.nsgId.toLowerCase()) ? "replace" : "add"} Deny in ${fix.nsgId}`,
      );
      fixes.set(fix.nsgId.toLowerCase(), fix);
    }
  }
  for (const id of change.remove ?? []) {
    const key = id.toLowerCase();
    const hit = vms.delete(key) || fixes.delete(key);
    if (!hit)
      throw new InputError(
        `--remove ${id}: no VM or NSG with this id in the remediation state ` +
          "(ids are listed in its desiredState output)",
      );
    history.push(`${at} removed on request: ${id}`);
  }
  return {
    version: 1,
    kind: "rdp-guard-remediation-state",
    ...(cloud ? { cloud } : {}),
    extensionName: extensionNameOrDefault(previous?.extensionName ?? plan?.extensionName),
    vms: [...vms.values()].sort((a, b) => a.id.localeCompare(b.id)),
    nsgFixes: [...fixes.values()].sort((a, b) => a.nsgId.localeCompare(b.nsgId)),
    history,
  };
}
