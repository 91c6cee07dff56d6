import { Finding } from "../nsg/findings";
import { ScanReport, sortedFindings, summarize } from "./model";

const COLORS = { error: "\x1b[31m", warning: "\x1b[33m", note: "\x1b[36m", dim: "\x1b[2m", bold: "\x1b[1m", reset: "\x1b[0m" };

/** Human report grouped by file and resource; colour only when asked (the CLI asks on a TTY). */
export function renderText(report: ScanReport, opts: { color: boolean }): string {
  const c = (k: keyof typeof COLORS, s: string): string => (opts.color ? `${COLORS[k]}${s}${COLORS.reset}` : s);
  const lines: string[] = [];
  const byFile = new Map<string, Finding[]>();
  for (const f of sortedFindings(report.findings)) {
    const file = f.location?.file ?? "(no file)";
    byFile.set(file, [...(byFile.get(file) ?? []), f]);
  }
  for (const [file, findings] of byFile) {
    lines.push(c("bold", file));
    const byResource = new Map<string, Finding[]>();
    for (const f of findings) byResource.set(f.resource.name, [...(byResource.get(f.resource.name) ?? []), f]);
    for (const [resource, group] of byResource) {
      lines.push(`  ${resource} ${c("dim", `(${group[0]!.resource.type})`)}`);
      for (const f of group) {
        const where = f.location?.line ? `:${f.location.line}` : "";
        const tag = f.suppressed ? c("dim", `suppressed until ${f.suppressed.expires}`) : c(f.severity, f.severity.toUpperCase());
        lines.push(`    ${tag} ${f.checkId}${where} ${f.message}`);
        if (f.exposure) {
          const n = BigInt(f.exposure.publicAddresses);
          const exposed = n > 1_000_000n ? `${n.toString().length > 12 ? `~1e${n.toString().length - 1}` : n.toLocaleString("en-US")} public addresses` : f.exposure.sources.join(", ");
          lines.push(`      ${f.exposure.protocol} port(s) ${f.exposure.ports.join(", ")}; source as written: ${f.exposure.sourceAsWritten.join(", ")}; exposed: ${exposed}`);
        }
        if (f.suppressed) lines.push(`      exemption: ${f.suppressed.reason} (${f.suppressed.pattern})`);
        else lines.push(`      fix: ${f.fix}`);
      }
    }
    lines.push("");
  }
  const s = summarize(report);
  const verdict = s.error > 0 ? c("error", "FAIL") : s.warning > 0 ? c("warning", "WARN") : c("bold", "OK");
  lines.push(`${verdict} ${s.files} file(s), ${s.nsgs} NSG(s), ${s.rulesEvaluated} rule(s): ${s.error} error(s), ${s.warning} warning(s), ${s.note} note(s), ${s.suppressed} suppressed`);
  if (report.skipped.length > 0) lines.push(c("dim", `skipped ${report.skipped.length} JSON file(s) of no known format: ${report.skipped.slice(0, 5).join(", ")}${report.skipped.length > 5 ? ", ..." : ""}`));
  return lines.join("\n") + "\n";
}
