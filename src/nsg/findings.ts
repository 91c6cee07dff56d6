import { Severity } from "../checks";
import { RuleProblem } from "./parse-rule";
import { SourceLocation } from "./rules";

export interface ResourceRef {
  readonly id: string;
  readonly name: string;
  readonly type: string;
}

export interface ExposureDetail {
  readonly protocol: "TCP" | "UDP";
  /** RDP ports of the configured list that the rule exposes. */
  readonly ports: readonly number[];
  /** Exposed public sources as CIDR blocks (after shadowing, private ranges and trusted prefixes). */
  readonly sources: readonly string[];
  /** Number of exposed public addresses, as a decimal string (IPv6 counts exceed 2^53). */
  readonly publicAddresses: string;
  /** The same, per family: IPv4 and IPv6 counts are never added up for people. */
  readonly publicIPv4Addresses: string;
  readonly publicIPv6Addresses: string;
  /** The rule's source as written. */
  readonly sourceAsWritten: readonly string[];
  /** Higher-priority rules that hide part of this rule's sources. */
  readonly partiallyShadowedBy: readonly string[];
}

/** A finding is data; reporters render it and never decide policy. */
export interface Finding {
  readonly checkId: string;
  readonly severity: Severity;
  readonly message: string;
  readonly reason: string;
  readonly fix: string;
  readonly resource: ResourceRef;
  readonly rule?: { readonly name: string; readonly priority?: number; readonly resourceId?: string };
  readonly location?: SourceLocation;
  readonly exposure?: ExposureDetail;
  readonly problems?: readonly RuleProblem[];
  /** Set when an exemption hides the finding; hidden findings still appear in JSON and SARIF. */
  readonly suppressed?: { readonly reason: string; readonly expires: string; readonly pattern: string };
}

export const SEVERITY_RANK: Record<Severity, number> = { note: 0, warning: 1, error: 2 };
