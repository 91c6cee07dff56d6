import * as path from "node:path";
import type { Location, Log, ReportingDescriptor, Result } from "sarif";
import { ALL_CHECKS, Severity } from "../checks";
import type { Finding } from "../nsg/findings";
import { ScanReport, sortedFindings } from "./model";

const LEVEL: Record<Severity, Result.level> = { error: "error", warning: "warning", note: "note" };

/**
 * SARIF 2.1.0 for GitHub code scanning: one rule per check (everything in it comes from the check),
 * file-relative URIs and line regions. A finding with no file (a live fleet VM) gets a logical
 * location only, its Azure resource id (SARIF §3.28.4, §3.33), never a made-up file.
 */
export function toSarif(report: ScanReport, baseDir: string = process.cwd()): Log {
  const rules: ReportingDescriptor[] = ALL_CHECKS.map((c) => ({
    id: c.id,
    name: c.name,
    shortDescription: { text: c.title },
    fullDescription: { text: c.rationale },
    help: { text: c.help, markdown: `**${c.title}**\n\n${c.rationale}\n\n**Fix:** ${c.help}` },
    defaultConfiguration: { level: LEVEL[c.severity] },
    properties: { tags: ["security", "azure", "rdp"], "security-severity": c.securitySeverity, precision: "high" },
  }));
  const index = new Map(ALL_CHECKS.map((c, i) => [c.id, i]));
  const results: Result[] = sortedFindings(report.findings).map((f) => {
    const result: Result = {
      ruleId: f.checkId,
      ruleIndex: index.get(f.checkId),
      level: LEVEL[f.severity],
      message: { text: `${f.message}. Fix: ${f.fix}` },
      locations: [location(f, baseDir)],
      partialFingerprints: { "rdpGuard/v1": `${f.checkId}:${f.resource.id}:${f.rule?.name ?? ""}` },
      properties: f.exposure ? { exposure: f.exposure } : undefined,
    };
    if (f.suppressed) {
      result.suppressions = [
        { kind: "external", justification: `${f.suppressed.reason} (until ${f.suppressed.expires})` },
      ];
    }
    return result;
  });
  return {
    version: "2.1.0",
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            informationUri: "https://www.npmjs.com/package/azure-rdp-guard",
            rules,
          },
        },
        originalUriBaseIds: { "%SRCROOT%": { uri: pathToFileUri(baseDir) } },
        results,
      },
    ],
  };
}

/** Where a finding is: its file and line when it has one, and always the resource (and NSG rule) it names. */
function location(f: Finding, baseDir: string): Location {
  const logicalLocations = [
    {
      name: f.rule ? `${f.resource.name}/${f.rule.name}` : f.resource.name,
      fullyQualifiedName: f.resource.id,
      kind: "resource",
    },
  ];
  const file = f.location?.file;
  if (!file) return { logicalLocations };
  // A URI, not a path: each segment percent-encoded (spaces, #, %).
  const uri = path.relative(baseDir, path.resolve(file)).split(path.sep).map(encodeURIComponent).join("/");
  return {
    physicalLocation: {
      artifactLocation: { uri, uriBaseId: "%SRCROOT%" },
      region: { startLine: f.location?.line ?? 1, ...(f.location?.column ? { startColumn: f.location.column } : {}) },
    },
    logicalLocations,
  };
}

function pathToFileUri(dir: string): string {
  const abs = path.resolve(dir).split(path.sep).join("/");
  return `file://${abs.startsWith("/") ? "" : "/"}${abs}/`;
}

export function renderSarif(report: ScanReport, baseDir?: string): string {
  return JSON.stringify(toSarif(report, baseDir), null, 2) + "\n";
}
