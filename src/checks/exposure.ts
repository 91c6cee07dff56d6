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
    why = `source ${written} admits ${groupDigits(w.publicAddresses)} public addresses `
      + `(more than maxPublicSourceAddresses=${threshold})`;
  }
  if (!withShadow || w.shadowedBy.length === 0) return why;
  return `${why}; higher-priority rule(s) ${w.shadowedBy.join(", ")} hide only part of it`;
}

/** 16777216 -> "16,777,216" (Intl's toLocaleString is slow on hot paths). */
function groupDigits(n: bigint): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
