/** PowerShell literal helpers shared by the online and offline renderers. */

/**
 * A single-quoted PowerShell string: only `'` needs escaping (doubled). Smart quotes are also quote
 * characters to PowerShell.
 */
export function psq(s: string): string {
  return `'${s.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

export function psValue(v: string | number | boolean | undefined | null): string {
  if (v === undefined || v === null) return "$null";
  if (typeof v === "boolean") return v ? "$true" : "$false";
  if (typeof v === "number") return String(v);
  return psq(v);
}
