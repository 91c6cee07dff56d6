import { Finding } from "../nsg/findings";
import { ScanReport, Summary, sortedFindings, summarize } from "./model";

/**
 * The stable JSON contract (version 1), documented in the README. Fields are only ever added;
 * removing or renaming one bumps `version`.
 */
export interface JsonReportV1 {
  readonly version: 1;
  readonly tool: { readonly name: string; readonly version: string };
  readonly findings: readonly JsonFinding[];
  readonly summary: Summary;
  readonly files: ScanReport["files"];
}

export interface JsonFinding {
  readonly ruleId: string;
  readonly severity: Finding["severity"];
  readonly resource: Finding["resource"];
  readonly rule: Finding["rule"] | null;
  readonly file: string | null;
  readonly line: number | null;
  readonly column: number | null;
  readonly message: string;
  readonly reason: string;
  readonly fix: string;
  /** Includes `publicIPv4Addresses`/`publicIPv6Addresses` beside the total `publicAddresses`. */
  readonly exposure: Finding["exposure"] | null;
  /** A field that is absent has `missing: true` and `value: ""`. */
  readonly problems: Finding["problems"] | null;
  readonly suppressed: Finding["suppressed"] | null;
}

export function toJsonReport(report: ScanReport): JsonReportV1 {
  return {
    version: 1,
    tool: report.tool,
    findings: sortedFindings(report.findings).map((f) => ({
      ruleId: f.checkId,
      severity: f.severity,
      resource: f.resource,
      rule: f.rule ?? null,
      file: f.location?.file ?? null,
      line: f.location?.line ?? null,
      column: f.location?.column ?? null,
      message: f.message,
      reason: f.reason,
      fix: f.fix,
      exposure: f.exposure ?? null,
      problems: f.problems ?? null,
      suppressed: f.suppressed ?? null,
    })),
    summary: summarize(report),
    files: report.files,
  };
}

export function renderJson(report: ScanReport): string {
  return JSON.stringify(toJsonReport(report), null, 2) + "\n";
}
