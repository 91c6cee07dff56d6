import { createHash } from "node:crypto";
import { GuardConfig, engineOptions } from "../config";
import { evaluateNsg } from "../nsg/evaluate";
import { RuleInput } from "../nsg/rules";
import type { CloudName } from "../azure/clouds";
import { lockScope } from "../azure/locks";
import { extensionNameOrDefault } from "../vm/extension-name";
import { AuditDocument, VmAudit } from "./audit";
import { checkTrustedPrefixes } from "./trusted";

export type VmAction = "online-rerun" | "nsg-fix" | "offline-repair";

/** Rules a plan adds to an NSG it does not own: non-destructive, removed by `pulumi destroy`. */
export interface NsgFix {
  readonly nsgId: string;
  readonly nsgName: string;
  readonly resourceGroup: string;
  readonly subscriptionId: string;
  readonly exposingRules: readonly string[];
  readonly ports: readonly number[];
  /** Priority of the added Deny from Internet (just above the highest-priority exposing rule). */
  readonly denyPriority: number;
  /** Priority of the Allow for trusted prefixes above the Deny, when there are trusted prefixes. */
  readonly allowPriority?: number;
  readonly trustedPrefixes: readonly string[];
}

/** A planned VM is named as the audit names it. */
export type VmRef = Pick<VmAudit, "id" | "name" | "subscriptionId" | "resourceGroup" | "location">;

export interface PlannedVm extends VmRef {
  readonly actions: readonly VmAction[];
  /** One line per action (or per reason for skipping). */
  readonly why: readonly string[];
  /** Set when the VM is not touched at all. */
  readonly skipped?: string;
  readonly nsgFixIds: readonly string[];
  /** Fixes the VM needs that cannot be planned (e.g. its NSG is under a ReadOnly lock), one reason each. */
  readonly blocked?: readonly string[];
  /** Our extension already exists on the VM: the remediation program adopts it (Pulumi `import`). */
  readonly adoptExtensionId?: string;
}

export interface RemediationPlan {
  readonly version: 1;
  readonly kind: "rdp-guard-plan";
  /** Run id: re-runs the hardening extension (forceUpdateTag) and names the journal. */
  readonly id: string;
  readonly createdAt: string;
  readonly auditGeneratedAt: string;
  readonly config: GuardConfig;
  /** Cloud of the audit: the remediation provider's environment. */
  readonly cloud?: CloudName;
  readonly extensionName?: string;
  readonly vms: PlannedVm[];
  readonly nsgFixes: NsgFix[];
}

export interface PlanOptions {
  readonly now?: Date;
  /** VM names or ids to include (case-insensitive); all when empty. */
  readonly select?: readonly string[];
  /** Hardening extension name the audit looked for. */
  readonly extensionName?: string;
}

const DENY_NAME = "rdp-guard-deny-internet-rdp";
const ALLOW_NAME = "rdp-guard-allow-trusted-rdp";

/** The rules an NSG fix adds, in the normalized shape (also used by the Pulumi program). */
export function fixRules(fix: NsgFix): RuleInput[] {
  const ports = fix.ports.map(String);
  const out: RuleInput[] = [
    {
      name: DENY_NAME,
      priority: fix.denyPriority,
      direction: "Inbound",
      access: "Deny",
      protocol: "*",
      sourceAddressPrefix: "Internet",
      destinationAddressPrefix: "*",
      destinationPortRanges: ports,
    },
  ];
  if (fix.allowPriority !== undefined) {
    out.push({
      name: ALLOW_NAME,
      priority: fix.allowPriority,
      direction: "Inbound",
      access: "Allow",
      protocol: "*",
      sourceAddressPrefixes: [...fix.trustedPrefixes],
      destinationAddressPrefix: "*",
      destinationPortRanges: ports,
    });
  }
  return out;
}

/** Highest free priority strictly below `limit` (i.e. evaluated before it), or undefined. */
function freePriorityAbove(limit: number, used: ReadonlySet<number>): number | undefined {
  for (let p = limit - 1; p >= 100; p--) if (!used.has(p)) return p;
  return undefined;
}

type FixResult = { fix: NsgFix } | { error: string };

function planNsgFix(
  nsg: AuditDocument["nsgs"][number],
  exposing: readonly { rule: string; priority: number }[],
  config: GuardConfig,
): FixResult {
  // A ReadOnly lock on the NSG, its resource group or subscription refuses every write, the Deny rule's PUT
  // included; CanNotDelete allows it ("ReadOnly means authorized users can read a resource, but they can't
  // delete or update it": https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources).
  const readOnly = (nsg.locks ?? []).filter((l) => l.level.toLowerCase() === "readonly");
  if (readOnly.length > 0) {
    const named = readOnly.map((l) => `${l.id.split("/").pop()} on ${lockScope(l.id)}`).join(", ");
    return {
      error:
        `${nsg.name} is under ReadOnly management lock ${named}, which refuses the Deny rule: lift the lock, ` +
        "then plan again",
    };
  }
  const used = new Set(
    nsg.rules
      .filter((r) => !r.isDefault && String(r.direction).toLowerCase() === "inbound")
      .map((r) => Number(r.priority)),
  );
  const top = Math.min(...exposing.map((e) => e.priority));
  const trusted = config.trustedSourcePrefixes.filter((p) => /[0-9a-f][.:]/i.test(p));
  try {
    checkTrustedPrefixes(trusted, config, nsg.name);
  } catch (e) {
    return { error: (e as Error).message };
  }
  const denyPriority = freePriorityAbove(top, used);
  if (denyPriority === undefined)
    return {
      error:
        `no free priority above rule ${exposing.find((e) => e.priority === top)!.rule} (${top}) in ${nsg.name}: ` +
        "rewrite that rule's source instead (remediationSourcePrefixes)",
    };
  let allowPriority: number | undefined;
  if (trusted.length > 0) {
    allowPriority = freePriorityAbove(denyPriority, used);
    if (allowPriority === undefined)
      return { error: `no free priority above ${denyPriority} in ${nsg.name} for the trusted-prefix Allow` };
  }
  const fix: NsgFix = {
    nsgId: nsg.id,
    nsgName: nsg.name,
    resourceGroup: nsg.resourceGroup,
    subscriptionId: nsg.subscriptionId,
    exposingRules: [...new Set(exposing.map((e) => e.rule))],
    ports: [...config.rdpPorts],
    denyPriority,
    allowPriority,
    trustedPrefixes: trusted,
  };
  // The engine must agree that the NSG no longer exposes RDP once the rules are added.
  const after = evaluateNsg(
    {
      id: nsg.id,
      name: nsg.name,
      type: "Microsoft.Network/networkSecurityGroups",
      rules: [...nsg.rules, ...fixRules(fix)],
    },
    engineOptions(config),
  );
  if (after.exposures.length > 0)
    return {
      error:
        `adding the Deny would still leave ${after.exposures.map((e) => e.rule.input.name).join(", ")} ` +
        `exposed in ${nsg.name}`,
    };
  return { fix };
}

export interface VmDecision {
  readonly action?: "online-rerun" | "offline-repair";
  readonly why?: string;
  /** The VM is not touched at all (not even an NSG fix). */
  readonly skip?: string;
}

/**
 * The decision table (docs/fleet-decisions.md, one test per row): offline repair only for a running
 * VM whose agent is not ready; a failed or drifted check on a reachable VM is online work; nothing
 * destructive on a VM whose state could not be read.
 */
export function decideVm(vm: VmAudit): VmDecision {
  const h = vm.hardening;
  if (vm.status.includes("unknown") && !vm.agent) {
    return {
      why:
        `unknown: ${vm.unknown?.join("; ") ?? "state could not be read"}; ` +
        "nothing planned for the VM until it can be read",
    };
  }
  if (vm.powerState !== "running") return { skip: `VM is ${vm.powerState}: start it, or repair it offline on purpose` };
  if (vm.agent && !vm.agent.ready) {
    return {
      action: "offline-repair",
      why: `offline-repair: VM agent not ready (${vm.agent.status}); extensions cannot run`,
    };
  }
  if (!h) return { why: "no extension report: nothing planned" };
  if (h.present && h.provisioning === "transitioning")
    return { why: "hardening extension still running: audit again later" };
  if (h.present && h.provisioning === "failed") {
    return {
      action: "online-rerun",
      why:
        `online-rerun: the hardening script failed (${h.message ?? "see the extension output"}); ` +
        "the agent is ready, so re-run it online",
    };
  }
  if (h.present && (h.notOk.length > 0 || h.failed > 0)) {
    return { action: "online-rerun", why: `online-rerun: failed checks ${h.notOk.join(", ") || `(${h.failed})`}` };
  }
  if (!h.present) {
    if (h.otherCustomScript)
      return {
        why: `online-rerun not possible: CustomScript slot used by '${h.otherCustomScript}' (Azure allows one per VM)`,
      };
    return { action: "online-rerun", why: "online-rerun: no RdpHardening extension yet" };
  }
  return {};
}

/**
 * Turns an audit into an explicit plan; nothing changes. Never plans anything for a VM that is not
 * Windows, is under a management lock, or was not selected.
 */
export function buildPlan(audit: AuditDocument, opts: PlanOptions = {}): RemediationPlan {
  const now = opts.now ?? new Date();
  const select = new Set((opts.select ?? []).map((s) => s.toLowerCase()));
  const nsgById = new Map(audit.nsgs.map((n) => [n.id.toLowerCase(), n]));
  const fixes = new Map<string, NsgFix>();
  const fixErrors = new Map<string, string>();
  const extensionName = extensionNameOrDefault(opts.extensionName ?? audit.extensionName);

  const vms = audit.vms.map((vm): PlannedVm => {
    const base: VmRef = {
      id: vm.id,
      name: vm.name,
      subscriptionId: vm.subscriptionId,
      resourceGroup: vm.resourceGroup,
      location: vm.location,
    };
    const skip = (why: string): PlannedVm => ({ ...base, actions: [], why: [why], skipped: why, nsgFixIds: [] });
    if (select.size > 0 && !select.has(vm.name.toLowerCase()) && !select.has(vm.id.toLowerCase()))
      return skip("not selected");
    if (vm.status.includes("not-windows")) return skip(`not a Windows VM (${vm.osType})`);
    const idParts =
      /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i.exec(
        vm.id,
      );
    if (
      !idParts ||
      idParts[1]!.toLowerCase() !== vm.subscriptionId.toLowerCase() ||
      idParts[2]!.toLowerCase() !== vm.resourceGroup.toLowerCase() ||
      idParts[3]!.toLowerCase() !== vm.name.toLowerCase()
    ) {
      return skip(`the audit's VM id ${vm.id} does not match its name/resource group/subscription: refusing to plan`);
    }
    if (vm.locks.length > 0)
      return skip(`under management lock ${vm.locks.map((l) => `${l.id.split("/").pop()} (${l.level})`).join(", ")}`);
    const decision = decideVm(vm);
    if (decision.skip) return skip(decision.skip);
    const actions: VmAction[] = decision.action ? [decision.action] : [];
    const why: string[] = decision.why ? [decision.why] : [];
    const nsgFixIds: string[] = [];
    const blocked: string[] = [];
    if (vm.exposure.unknown && !vm.exposure.exposed)
      why.push(`nsg-fix not planned: exposure unknown (${vm.exposure.unknown})`);
    if (vm.exposure.exposed) {
      const byNsg = new Map<string, { rule: string; priority: number }[]>();
      for (const r of vm.exposure.rules)
        byNsg.set(r.nsgId.toLowerCase(), [
          ...(byNsg.get(r.nsgId.toLowerCase()) ?? []),
          { rule: r.rule, priority: r.priority },
        ]);
      if (byNsg.size === 0) {
        const reason = `${vm.exposure.reason ?? "no NSG to add a Deny to"}; attach an NSG`;
        why.push(`nsg-fix not possible: ${reason}`);
        blocked.push(`nsg-fix: ${reason}`);
      }
      for (const [nsgId, exposing] of byNsg) {
        const nsg = nsgById.get(nsgId);
        if (!nsg) {
          why.push(`nsg-fix not possible: NSG ${nsgId} is not in the audit`);
          blocked.push(`nsg-fix: NSG ${nsgId} is not in the audit`);
          continue;
        }
        if (!fixes.has(nsgId) && !fixErrors.has(nsgId)) {
          const r = planNsgFix(nsg, exposing, audit.config);
          if ("fix" in r) fixes.set(nsgId, r.fix);
          else fixErrors.set(nsgId, r.error);
        }
        const fix = fixes.get(nsgId);
        if (fix) {
          nsgFixIds.push(fix.nsgId);
          if (!actions.includes("nsg-fix")) actions.push("nsg-fix");
          why.push(
            `nsg-fix: Deny Internet to RDP at priority ${fix.denyPriority} in ${fix.nsgName}, ` +
              `above ${exposing.map((e) => `${e.rule} (${e.priority})`).join(", ")}`,
          );
          const keep = (nsg.locks ?? []).filter((l) => l.level.toLowerCase() === "cannotdelete");
          if (keep.length > 0) {
            const names = keep.map((l) => l.id.split("/").pop()).join(", ");
            why.push(
              `nsg-fix note: ${fix.nsgName} is under CanNotDelete lock ${names}: the Deny rule can be added, ` +
                "not removed while the lock stands",
            );
          }
        } else {
          why.push(`nsg-fix not possible: ${fixErrors.get(nsgId)}`);
          blocked.push(`nsg-fix: ${fixErrors.get(nsgId)}`);
        }
      }
    }
    if (actions.length === 0 && why.length === 0) why.push("compliant: nothing to do");
    const adopt =
      actions.includes("online-rerun") && vm.hardening?.present ? `${vm.id}/extensions/${extensionName}` : undefined;
    return {
      ...base,
      actions,
      why,
      nsgFixIds,
      ...(blocked.length > 0 ? { blocked } : {}),
      ...(adopt ? { adoptExtensionId: adopt } : {}),
    };
  });

  const id = createHash("sha256")
    .update(`${audit.generatedAt}|${now.toISOString()}|${vms.map((v) => v.id + v.actions.join()).join(";")}`)
    .digest("hex")
    .slice(0, 12);
  return {
    version: 1,
    kind: "rdp-guard-plan",
    id,
    createdAt: now.toISOString(),
    auditGeneratedAt: audit.generatedAt,
    config: audit.config,
    ...(audit.cloud ? { cloud: audit.cloud } : {}),
    extensionName,
    vms,
    nsgFixes: [...fixes.values()],
  };
}
