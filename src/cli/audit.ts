import { auditFleet } from "../fleet/audit";
import { renderAuditText } from "../report/fleet-text";
import { ScanReport, summarize } from "../report/model";
import { renderSarif } from "../report/sarif";
import { packageVersion } from "../version";
import { AzureCliOptions, fleetSource, selectionOf } from "./azure-options";
import { configFromFile } from "./config-file";
import { CommandContext, FailOn, OutputFormat, exitCode } from "./io";
import { writeOutput } from "./output";

interface AuditCliOptions extends AzureCliOptions {
  format: OutputFormat;
  output?: string;
  config?: string;
  failOn: FailOn;
}

export async function runAudit(opts: AuditCliOptions, { io, env }: CommandContext): Promise<number> {
  const sel = selectionOf(opts);
  const config = await configFromFile(opts.config);
  const source = await fleetSource(opts, env, (l) => io.stderr(`${l}\n`));
  const progress = io.isTty
    ? (done: number, total: number) => io.stderr(`\raudit: instance views ${done}/${total}`)
    : undefined;
  const doc = await auditFleet(source, sel, {
    config,
    extensionName: opts.extensionName,
    concurrency: opts.concurrency,
    onProgress: progress,
    cloud: source.cloud.name,
  });
  if (progress) io.stderr("\n");
  const tool = { name: "azure-rdp-guard", version: packageVersion() };
  const report: ScanReport = { tool, findings: doc.findings, files: [], skipped: [] };
  const content =
    opts.format === "json"
      ? JSON.stringify({ ...doc, summary: summarize(report) }, null, 2) + "\n"
      : opts.format === "sarif"
        ? renderSarif(report)
        : renderAuditText(doc);
  if (opts.output) await writeOutput(opts.output, content, [opts.config]);
  else io.stdout(content);
  // A VM whose state could not be read is never reported clean.
  const unknown = doc.vms.filter((v) => v.status.includes("unknown")).length;
  if (unknown > 0) io.stderr(`rdp-guard: ${unknown} VM(s) could not be fully read (status unknown); see the report\n`);
  return Math.max(exitCode(doc.findings, opts.failOn), unknown > 0 && opts.failOn !== "never" ? 1 : 0);
}
