import * as path from "node:path";
import type { Log, ReportingDescriptor, Result } from "sarif";
import { ALL_CHECKS, Severity } from "../checks";
import { ScanReport, sortedFindings } from "./model";

const LEVEL: Record<Severity, Result.level> = { error: "error", warning: "warning", note: "note" };
/** GitHub code scanning ranks security alerts by this CVSS-like score. */
const SECURITY_SEVERITY: Record<string, string> = {
  RDPG001: "9.1", RDPG002: "6.5", RDPG003: "7.0", RDPG004: "3.0", RDPG005: "5.0", RDPG010: "3.0", RDPG011: "4.0", RDPG020: "5.5", RDPG021: "7.5",
};

/** SARIF 2.1.0 for GitHub code scanning: one rule per check, file-relative URIs, line regions. */
export function toSarif(report: ScanReport, baseDir: string = process.cwd()): Log {
  const rules: ReportingDescriptor[] = ALL_CHECKS.map((c) => ({
    id: c.id,
    name: c.name,
    shortDescription: { text: c.title },
    fullDescription: { text: c.rationale },
    help: { text: c.help, markdown: `**${c.title}**\n\n${c.rationale}\n\n**Fix:** ${c.help}` },
    defaultConfiguration: { level: LEVEL[c.severity] },
    properties: { tags: ["security", "azure", "rdp"], "security-severity": SECURITY_SEVERITY[c.id] ?? "5.0", precision: "high" },
  }));
  const index = new Map(ALL_CHECKS.map((c, i) => [c.id, i]));
  const results: Result[] = sortedFindings(report.findings).map((f) => {
    const file = f.location?.file;
    // Live Azure findings (audit) have no file: only the logical location, the Azure resource id.
    const physical = file ? {
      physicalLocation: {
        artifactLocation: {
          uri: path.relative(baseDir, path.resolve(file)).split(path.sep).map(encodeURIComponent).join("/"),
          uriBaseId: "%SRCROOT%",
        },
        region: { startLine: f.location?.line ?? 1, ...(f.location?.column ? { startColumn: f.location.column } : {}) },
      },
    } : {};
    const result: Result = {
      ruleId: f.checkId,
      ruleIndex: index.get(f.checkId),
      level: LEVEL[f.severity],
      message: { text: `${f.message}. Fix: ${f.fix}` },
      locations: [{
        ...physical,
        logicalLocations: [{ name: f.rule ? `${f.resource.name}/${f.rule.name}` : f.resource.name, fullyQualifiedName: f.resource.id, kind: "resource" }],
      }],
      partialFingerprints: { "rdpGuard/v1": `${f.checkId}:${f.resource.id}:${f.rule?.name ?? ""}` },
      properties: f.exposure ? { exposure: f.exposure } : undefined,
    };
    if (f.suppressed) result.suppressions = [{ kind: "external", justification: `${f.suppressed.reason} (until ${f.suppressed.expires})` }];
    return result;
  });
  return {
    version: "2.1.0",
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    runs: [{
      tool: { driver: { name: report.tool.name, version: report.tool.version, informationUri: "https://www.npmjs.com/package/azure-rdp-guard", rules } },
      originalUriBaseIds: { "%SRCROOT%": { uri: pathToFileUri(baseDir) } },
      results,
    }],
  };
}

function pathToFileUri(dir: string): string {
  const abs = path.resolve(dir).split(path.sep).join("/");
  return `file://${abs.startsWith("/") ? "" : "/"}${abs}/`;
}

export function renderSarif(report: ScanReport, baseDir?: string): string {
  return JSON.stringify(toSarif(report, baseDir), null, 2) + "\n";
}
