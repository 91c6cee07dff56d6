import type { ParsedSource } from "../nsg/addresses";
import type { ExposureDetail, Finding, ResourceRef } from "../nsg/findings";
import type { RuleProblem } from "../nsg/parse-rule";
import type { NsgInput, SourceLocation } from "../nsg/rules";
import type { CheckDefinition } from "./check";

/*
 * The facts src/nsg/evaluate.ts hands the NSG-rule checks (RDPG001-004). The engine decides which
 * check applies; the check files word the finding from these facts.
 */

/** The NSG as the engine judged it. */
export interface NsgFacts {
  readonly ref: ResourceRef;
  /** Which state of a stack export was judged, when the deployed and declared states differ. */
  readonly view?: NsgInput["view"];
  /** The step that knows values unknown now, in the input's tool; absent: `pulumi up`. */
  readonly unknownsUntil?: NsgInput["unknownsUntil"];
}

export interface RuleRef {
  readonly name: string;
  readonly priority?: number;
  readonly resourceId?: string;
}

/** Fields of a rule (or of the NSG's rule list, when `rule` is absent) that could not be read. */
export interface RuleProblemEvent {
  readonly nsg: NsgFacts;
  readonly rule?: RuleRef;
  readonly location?: SourceLocation;
  readonly problems: readonly RuleProblem[];
}

/** An Allow rule whose public sources reach RDP, and what the engine counted. */
export interface RuleExposureEvent {
  readonly nsg: NsgFacts;
  readonly rule: RuleRef & { readonly priority: number };
  readonly location?: SourceLocation;
  readonly exposure: ExposureDetail;
  /** The rule's sources as parsed: what kind each is ("any", "internet", ...) and how it was written. */
  readonly sourceParts: readonly Pick<ParsedSource, "kind" | "text">[];
  /** Public addresses this rule alone exposes: in total (for the threshold) and per family (for people). */
  readonly publicAddresses: { readonly total: bigint; readonly v4: bigint; readonly v6: bigint };
  readonly maxPublicSourceAddresses: number;
  /** The same rule also exposes UDP: its TCP finding says "TCP and UDP" and no UDP finding is made. */
  readonly alsoUdp: boolean;
}

/** "NSG 'x'", saying which state of a stack export it is when they differ. */
export function nsgSubject(nsg: NsgFacts): string {
  if (nsg.view === "deployed") return `NSG '${nsg.ref.name}' (deployed state; the program's inputs differ)`;
  if (nsg.view === "declared")
    return `NSG '${nsg.ref.name}' (declared in the program's inputs; the deployed state differs)`;
  return `NSG '${nsg.ref.name}'`;
}

/** "field='value': reason; ...". A missing field has no value to quote: its reason says it is missing. */
export function problemsText(problems: readonly RuleProblem[]): string {
  return problems.map((p) => (p.missing ? p.reason : `${p.field}='${p.value}': ${p.reason}`)).join("; ");
}

/** Why the rule's sources count as the Internet (without the partial-shadowing note). */
export function exposureWhy(e: RuleExposureEvent): string {
  const threshold = e.maxPublicSourceAddresses;
  if (e.publicAddresses.total <= BigInt(threshold))
    return `together with the NSG's other exposing rules, more than ${threshold} public addresses can reach RDP`;
  const written = e.exposure.sourceAsWritten.join(", ");
  const has = (kind: string): boolean => e.sourceParts.some((s) => s.kind === kind);
  if (has("any")) return `source '${written}' admits every address`;
  if (has("internet")) return "source 'Internet' admits every public address";
  if (has("internet-equivalent")) return `source '${written}' includes every Azure customer's public IPs`;
  return (
    `source ${written} admits ${describePublicCount(e.publicAddresses)} ` +
    `(more than maxPublicSourceAddresses=${threshold})`
  );
}

/** RDPG001/002 findings for an NSG rule, which differ only in protocol. */
export function ruleExposureFinding(check: CheckDefinition, e: RuleExposureEvent): Finding {
  const shadowedBy = e.exposure.partiallyShadowedBy;
  const shadow = shadowedBy.length > 0 ? `; higher-priority rule(s) ${shadowedBy.join(", ")} hide only part of it` : "";
  const why = exposureWhy(e) + shadow;
  const protocols = e.alsoUdp ? "TCP and UDP" : e.exposure.protocol;
  // A literal object (no spreads): this runs once per exposing rule on fleet-sized inputs.
  return {
    checkId: check.id,
    severity: check.severity,
    resource: e.nsg.ref,
    rule: e.rule,
    location: e.location,
    exposure: e.exposure,
    reason: why,
    message:
      `${nsgSubject(e.nsg)} rule '${e.rule.name}' (priority ${e.rule.priority}) exposes RDP port ` +
      `${e.exposure.ports.join(", ")} over ${protocols} to the Internet: ${why}`,
    fix:
      `Restrict the source of rule '${e.rule.name}' to your admin IP (a /32) or trusted ranges, or remove it and ` +
      "use Azure Bastion or just-in-time VM access.",
  };
}

/** "3,702,390,784 public IPv4 addresses and ~3.4e38 public IPv6 addresses": families never mix. */
export function describePublicCount(n: { readonly v4: bigint; readonly v6: bigint }): string {
  const parts: string[] = [];
  if (n.v4 > 0n || n.v6 === 0n) parts.push(`${groupDigits(n.v4)} public IPv4 address${n.v4 === 1n ? "" : "es"}`);
  if (n.v6 > 0n) parts.push(`${approximate(n.v6)} public IPv6 address${n.v6 === 1n ? "" : "es"}`);
  return parts.join(" and ");
}

function approximate(n: bigint): string {
  const digits = n.toString();
  if (digits.length <= 15) return groupDigits(n);
  return `~${digits[0]}.${digits[1]}e${digits.length - 1}`;
}

/** 16777216 -> "16,777,216" (Intl's toLocaleString is slow on hot paths). */
function groupDigits(n: bigint): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
