import type { ExposureDetail, Finding, ResourceRef } from "../nsg/findings";
import type { SourceLocation } from "../nsg/rules";
import { CheckDefinition, VmSubject, vmRef } from "./check";

/** The exposing rule as the engine saw it. */
export interface RuleExposureEvent {
  readonly nsg: ResourceRef;
  readonly rule: { readonly name: string; readonly priority: number; readonly resourceId?: string };
  readonly location?: SourceLocation;
  readonly exposure: ExposureDetail;
  readonly why: ExposureWhy;
  /** "TCP and UDP" when the same rule exposes both. */
  readonly protocols: string;
}

/** A live VM's effective (NIC + subnet) exposure. */
export interface VmExposureEvent {
  readonly ports: readonly number[];
  readonly protocol: "TCP" | "UDP";
  readonly reason: string;
}

/** Why a rule's sources count as the Internet, as the engine found it (RDPG001/002/004 word it). */
export interface ExposureWhy {
  /** Source kinds the rule names ("any", "internet", "internet-equivalent", ...). */
  readonly kinds: ReadonlySet<string>;
  /** The rule's source as written. */
  readonly written: readonly string[];
  /** Public addresses this rule alone exposes. */
  readonly publicAddresses: bigint;
  readonly maxPublicSourceAddresses: number;
  /** Higher-priority rules that hide only part of the sources. */
  readonly shadowedBy: readonly string[];
}

/** The reason text: what in the source admits the Internet, and any partial shadowing. */
export function exposureReason(w: ExposureWhy, withShadow = true): string {
  const written = w.written.join(", ");
  const threshold = w.maxPublicSourceAddresses;
  let why: string;
  if (w.publicAddresses <= BigInt(threshold)) {
    why = `together with the NSG's other exposing rules, more than ${threshold} public addresses can reach RDP`;
  } else if (w.kinds.has("any")) why = `source '${written}' admits every address`;
  else if (w.kinds.has("internet")) why = "source 'Internet' admits every public address";
  else if (w.kinds.has("internet-equivalent")) why = `source '${written}' includes every Azure customer's public IPs`;
  else {
    why =
      `source ${written} admits ${groupDigits(w.publicAddresses)} public addresses ` +
      `(more than maxPublicSourceAddresses=${threshold})`;
  }
  if (!withShadow || w.shadowedBy.length === 0) return why;
  return `${why}; higher-priority rule(s) ${w.shadowedBy.join(", ")} hide only part of it`;
}

/** 16777216 -> "16,777,216" (Intl's toLocaleString is slow on hot paths). */
function groupDigits(n: bigint): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** RDPG001/002 findings, which differ only in protocol. A literal object: this runs once per exposing rule. */
export function exposureFinding(check: CheckDefinition, e: RuleExposureEvent): Finding {
  const reason = exposureReason(e.why);
  const ports = e.exposure.ports.join(", ");
  return {
    checkId: check.id,
    severity: check.severity,
    resource: e.nsg,
    rule: e.rule,
    location: e.location,
    exposure: e.exposure,
    reason,
    message:
      `NSG '${e.nsg.name}' rule '${e.rule.name}' (priority ${e.rule.priority}) exposes RDP port ${ports} over ` +
      `${e.protocols} to the Internet: ${reason}`,
    fix:
      `Restrict the source of rule '${e.rule.name}' to your admin IP (a /32) or trusted ranges, or remove it and ` +
      "use Azure Bastion or just-in-time VM access.",
  };
}

export function vmExposureFinding(check: CheckDefinition, vm: VmSubject, e: VmExposureEvent): Finding {
  return {
    checkId: check.id,
    severity: check.severity,
    resource: vmRef(vm),
    reason: e.reason,
    message:
      `Windows VM '${vm.name}' is reachable on RDP port ${e.ports.join(", ")} over ${e.protocol} from the ` +
      `Internet: ${e.reason}`,
    fix: check.help,
  };
}
