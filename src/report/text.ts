import { Finding } from "../nsg/findings";
import { ScanReport, sortedFindings, summarize } from "./model";

const COLORS = {
  error: "\x1b[31m",
  warning: "\x1b[33m",
  note: "\x1b[36m",
  dim: "\x1b[2m",
  bold: "\x1b[1m",
  reset: "\x1b[0m",
};

/**
 * Input text made safe for a terminal or CI log: control characters (newlines that could start a
 * `::add-mask::` workflow command, ANSI escapes, carriage returns) become `\uXXXX`, and a line can
 * only start with what the report itself writes.
 */
export function safeText(s: string): string {
  return s.replace(
    // eslint-disable-next-line no-control-regex -- matches control characters on purpose, to escape them
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** "3,702,390,784 public IPv4 addresses and ~3.4e38 public IPv6 addresses". */
function exposedCount(e: NonNullable<Finding["exposure"]>): string {
  const v4 = BigInt(e.publicIPv4Addresses ?? e.publicAddresses);
  const v6 = BigInt(e.publicIPv6Addresses ?? "0");
  const parts: string[] = [];
  if (v4 > 0n || v6 === 0n) parts.push(`${v4.toLocaleString("en-US")} public IPv4 addresses`);
  if (v6 > 0n) {
    const d = v6.toString();
    parts.push(
      `${d.length > 15 ? `~${d[0]}.${d[1]}e${d.length - 1}` : v6.toLocaleString("en-US")} public IPv6 addresses`,
    );
  }
  return parts.join(" and ");
}

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
    lines.push(c("bold", safeText(file)));
    const byResource = new Map<string, Finding[]>();
    for (const f of findings) byResource.set(f.resource.name, [...(byResource.get(f.resource.name) ?? []), f]);
    for (const [resource, group] of byResource) {
      lines.push(`  ${safeText(resource)} ${c("dim", `(${safeText(group[0]!.resource.type)})`)}`);
      for (const f of group) {
        const where = f.location?.line ? `:${f.location.line}` : "";
        const tag = f.suppressed
          ? c("dim", `suppressed until ${f.suppressed.expires}`)
          : c(f.severity, f.severity.toUpperCase());
        lines.push(`    ${tag} ${f.checkId}${where} ${safeText(f.message)}`);
        if (f.exposure) {
          const n = BigInt(f.exposure.publicAddresses);
          const exposed = n > 1_000_000n ? exposedCount(f.exposure) : f.exposure.sources.join(", ");
          const written = safeText(f.exposure.sourceAsWritten.join(", "));
          lines.push(
            `      ${f.exposure.protocol} port(s) ${f.exposure.ports.join(", ")}; ` +
              `source as written: ${written}; exposed: ${exposed}`,
          );
        }
        if (f.suppressed)
          lines.push(`      exemption: ${safeText(f.suppressed.reason)} (${safeText(f.suppressed.pattern)})`);
        else lines.push(`      fix: ${safeText(f.fix)}`);
      }
    }
    lines.push("");
  }
  const s = summarize(report);
  const verdict = s.error > 0 ? c("error", "FAIL") : s.warning > 0 ? c("warning", "WARN") : c("bold", "OK");
  lines.push(
    `${verdict} ${s.files} file(s), ${s.nsgs} NSG(s), ${s.rulesEvaluated} rule(s): ` +
      `${s.error} error(s), ${s.warning} warning(s), ${s.note} note(s), ${s.suppressed} suppressed`,
  );
  if (report.skipped.length > 0)
    lines.push(
      c(
        "dim",
        `skipped ${report.skipped.length} JSON file(s) of no known format: ` +
          `${safeText(report.skipped.slice(0, 5).join(", "))}${report.skipped.length > 5 ? ", ..." : ""}`,
      ),
    );
  return lines.join("\n") + "\n";
}
