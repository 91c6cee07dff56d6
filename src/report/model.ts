import { Severity } from "../checks";
import { Finding, SEVERITY_RANK } from "../nsg/findings";

export interface FileSummary {
  readonly file: string;
  readonly format: string;
  readonly nsgs: number;
  readonly rules: number;
  readonly vms: number;
}

/** Everything a reporter needs; reporters only render it. */
export interface ScanReport {
  readonly tool: { readonly name: string; readonly version: string };
  readonly findings: readonly Finding[];
  readonly files: readonly FileSummary[];
  /** Files skipped during a directory scan because they are JSON of no known shape. */
  readonly skipped: readonly string[];
}

export interface Summary {
  readonly files: number;
  readonly nsgs: number;
  readonly rulesEvaluated: number;
  readonly error: number;
  readonly warning: number;
  readonly note: number;
  readonly suppressed: number;
}

export function summarize(report: ScanReport): Summary {
  const active = report.findings.filter((f) => !f.suppressed);
  const count = (s: Severity): number => active.filter((f) => f.severity === s).length;
  return {
    files: report.files.length,
    nsgs: report.files.reduce((n, f) => n + f.nsgs, 0),
    rulesEvaluated: report.files.reduce((n, f) => n + f.rules, 0),
    error: count("error"),
    warning: count("warning"),
    note: count("note"),
    suppressed: report.findings.length - active.length,
  };
}

/** Findings sorted for stable output: file, line, severity (worst first), check id. */
export function sortedFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (a.location?.file ?? "").localeCompare(b.location?.file ?? "") ||
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      a.checkId.localeCompare(b.checkId),
  );
}
