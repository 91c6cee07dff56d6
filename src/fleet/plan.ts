import { createHash } from "node:crypto";
import { GuardConfig, engineOptions } from "../config";
import { evaluateNsg } from "../nsg/evaluate";
import { RuleInput } from "../nsg/rules";
import { AuditDocument } from "./audit";

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

export interface PlannedVm {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly actions: readonly VmAction[];
  /** One line per action (or per reason for skipping). */
  readonly why: readonly string[];
  /** Set when the VM is not touched at all. */
  readonly skipped?: string;
  readonly nsgFixIds: readonly string[];
}

export interface RemediationPlan {
  readonly version: 1;
  readonly kind: "rdp-guard-plan";
  /** Run id: re-runs the hardening extension (forceUpdateTag) and names the journal. */
  readonly id: string;
  readonly createdAt: string;
  readonly auditGeneratedAt: string;
  readonly config: GuardConfig;
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
  const out: RuleInput[] = [{
    name: DENY_NAME, priority: fix.denyPriority, direction: "Inbound", access: "Deny", protocol: "*",
    sourceAddressPrefix: "Internet", destinationAddressPrefix: "*", destinationPortRanges: ports,
  }];
  if (fix.allowPriority !== undefined) {
    out.push({
      name: ALLOW_NAME, priority: fix.allowPriority, direction: "Inbound", access: "Allow", protocol: "*",
      sourceAddressPrefixes: [...fix.trustedPrefixes], destinationAddressPrefix: "*", destinationPortRanges: ports,
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

function planNsgFix(nsg: AuditDocument["nsgs"][number], exposing: readonly { rule: string; priority: number }[], config: GuardConfig): FixResult {
  const used = new Set(nsg.rules.filter((r) => !r.isDefault && String(r.direction).toLowerCase() === "inbound").map((r) => Number(r.priority)));
  const top = Math.min(...exposing.map((e) => e.priority));
  const trusted = config.trustedSourcePrefixes.filter((p) => /[0-9a-f][.:]/i.test(p));
  const denyPriority = freePriorityAbove(top, used);
  if (denyPriority === undefined) return { error: `no free priority above rule ${exposing.find((e) => e.priority === top)!.rule} (${top}) in ${nsg.name}: rewrite that rule's source instead (remediationSourcePrefixes)` };
  let allowPriority: number | undefined;
  if (trusted.length > 0) {
    allowPriority = freePriorityAbove(denyPriority, used);
    if (allowPriority === undefined) return { error: `no free priority above ${denyPriority} in ${nsg.name} for the trusted-prefix Allow` };
  }
  const fix: NsgFix = {
    nsgId: nsg.id, nsgName: nsg.name, resourceGroup: nsg.resourceGroup, subscriptionId: nsg.subscriptionId,
    exposingRules: [...new Set(exposing.map((e) => e.rule))], ports: [...config.rdpPorts], denyPriority, allowPriority, trustedPrefixes: trusted,
  };
  // The engine must agree that the NSG no longer exposes RDP once the rules are added.
  const after = evaluateNsg({ id: nsg.id, name: nsg.name, type: "Microsoft.Network/networkSecurityGroups", rules: [...nsg.rules, ...fixRules(fix)] }, engineOptions(config));
  if (after.exposures.length > 0) return { error: `adding the Deny would still leave ${after.exposures.map((e) => e.rule.input.name).join(", ")} exposed in ${nsg.name}` };
  return { fix };
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

  const vms = audit.vms.map((vm): PlannedVm => {
    const base = { id: vm.id, name: vm.name, subscriptionId: vm.subscriptionId, resourceGroup: vm.resourceGroup, location: vm.location };
    const skip = (why: string): PlannedVm => ({ ...base, actions: [], why: [why], skipped: why, nsgFixIds: [] });
    if (select.size > 0 && !select.has(vm.name.toLowerCase()) && !select.has(vm.id.toLowerCase())) return skip("not selected");
    if (vm.osType.toLowerCase() !== "windows") return skip(`not a Windows VM (${vm.osType})`);
    if (vm.locks.length > 0) return skip(`under management lock ${vm.locks.map((l) => `${l.id.split("/").pop()} (${l.level})`).join(", ")}`);
    const actions: VmAction[] = [];
    const why: string[] = [];
    const nsgFixIds: string[] = [];
    if (vm.status.includes("unreachable")) {
      if (vm.powerState !== "running") return skip(`VM is ${vm.powerState}: start it, or repair it offline on purpose`);
      actions.push("offline-repair");
      why.push(`offline-repair: VM agent not ready (${vm.agent?.status ?? "unknown"}); extensions cannot run`);
    } else if (vm.hardening?.present && vm.hardening.provisioning === "failed") {
      actions.push("offline-repair");
      why.push("offline-repair: the hardening extension failed to run");
    } else if (vm.status.includes("drifted") || vm.status.includes("unhardened")) {
      if (vm.hardening?.otherCustomScript && !vm.hardening.present) {
        why.push(`online-rerun not possible: CustomScript slot used by '${vm.hardening.otherCustomScript}' (Azure allows one per VM)`);
      } else {
        actions.push("online-rerun");
        why.push(vm.status.includes("drifted") ? `online-rerun: drift in ${vm.hardening?.notOk.join(", ") || "extension report"}` : "online-rerun: no RdpHardening extension yet");
      }
    }
    if (vm.exposure.exposed) {
      const byNsg = new Map<string, { rule: string; priority: number }[]>();
      for (const r of vm.exposure.rules) byNsg.set(r.nsgId.toLowerCase(), [...(byNsg.get(r.nsgId.toLowerCase()) ?? []), { rule: r.rule, priority: r.priority }]);
      if (byNsg.size === 0) why.push(`nsg-fix not possible: ${vm.exposure.reason ?? "no NSG to add a Deny to"}; attach an NSG`);
      for (const [nsgId, exposing] of byNsg) {
        const nsg = nsgById.get(nsgId);
        if (!nsg) {
          why.push(`nsg-fix not possible: NSG ${nsgId} is not in the audit`);
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
          why.push(`nsg-fix: Deny Internet to RDP at priority ${fix.denyPriority} in ${fix.nsgName}, above ${exposing.map((e) => `${e.rule} (${e.priority})`).join(", ")}`);
        } else why.push(`nsg-fix not possible: ${fixErrors.get(nsgId)}`);
      }
    }
    if (actions.length === 0 && why.length === 0) why.push("compliant: nothing to do");
    return { ...base, actions, why, nsgFixIds };
  });

  const id = createHash("sha256").update(`${audit.generatedAt}|${now.toISOString()}|${vms.map((v) => v.id + v.actions.join()).join(";")}`).digest("hex").slice(0, 12);
  return { version: 1, kind: "rdp-guard-plan", id, createdAt: now.toISOString(), auditGeneratedAt: audit.generatedAt, config: audit.config, vms, nsgFixes: [...fixes.values()] };
}

