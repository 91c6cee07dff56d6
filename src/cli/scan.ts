import { GuardConfig, loadConfig } from "../config";
import { ArmParameterValues, readParametersFile } from "../formats/arm";
import { parseDocument } from "../formats/detect";
import { InputError } from "../errors";
import { JsonDocument, readJsonFile, resolveLocations } from "../formats/json-source";
import { FormatName, ParsedInput } from "../formats/types";
import { Finding } from "../nsg/findings";
import { SourceLocation } from "../nsg/rules";
import { FileSummary, ScanReport } from "../report/model";
import { renderJson } from "../report/json";
import { renderSarif } from "../report/sarif";
import { renderText } from "../report/text";
import { scanInputs } from "../engine";
import { readConfigFile } from "./config-file";
import { collectFiles, readInput } from "./inputs";
import { CliIo, FailOn, OutputFormat, exitCode } from "./io";
import { writeOutput } from "./output";
import { packageVersion } from "../version";

export interface ScanOptions {
  format: OutputFormat;
  output?: string;
  rdpPorts?: number[];
  trustedPrefix: string[];
  maxPublicAddresses?: number;
  config?: string;
  failOn: FailOn;
  parameters?: string;
  inputFormat: FormatName | "auto";
  maxFileSize: number;
  color?: boolean;
}

async function buildConfig(opts: ScanOptions): Promise<GuardConfig> {
  let fromFile: Record<string, unknown> = {};
  let origin = "command line";
  if (opts.config) {
    fromFile = await readConfigFile(opts.config);
    origin = `${opts.config} (with command-line options)`;
  }
  const merged: Record<string, unknown> = { ...fromFile };
  if (opts.rdpPorts) merged.rdpPorts = opts.rdpPorts;
  if (opts.trustedPrefix.length > 0)
    merged.trustedSourcePrefixes = [
      ...((fromFile.trustedSourcePrefixes as string[] | undefined) ?? []),
      ...opts.trustedPrefix,
    ];
  if (opts.maxPublicAddresses !== undefined) merged.maxPublicSourceAddresses = opts.maxPublicAddresses;
  return loadConfig(merged, origin);
}

export async function runScan(paths: string[], opts: ScanOptions, io: CliIo): Promise<number> {
  const config = await buildConfig(opts);
  let armParameters: ArmParameterValues | undefined;
  if (opts.parameters) {
    const doc = await readJsonFile(opts.parameters, 16 * 1024 * 1024);
    try {
      armParameters = readParametersFile(doc);
    } catch (e) {
      throw new InputError((e as Error).message);
    }
  }
  const forced = opts.inputFormat === "auto" ? undefined : opts.inputFormat;
  const files = await collectFiles(paths);
  const parsed: { doc: JsonDocument; input: ParsedInput }[] = [];
  const skipped: string[] = [];
  for (const { file, explicit, skipped: why } of files) {
    if (why) {
      skipped.push(file);
      io.stderr(`rdp-guard: ${file}: skipped, ${why}\n`);
      continue;
    }
    const doc = await readInput(file, opts.maxFileSize, io.stdin);
    const input = parseDocument(doc, { format: forced, armParameters });
    // Keep the text (for line numbers) but drop the parsed tree: the normalized input is all that
    // is evaluated, and on a 100 MB export the tree is most of the memory.
    if (input) parsed.push({ doc: { file: doc.file, text: doc.text, value: undefined }, input });
    else {
      skipped.push(doc.file);
      if (explicit)
        io.stderr(`rdp-guard: ${doc.file}: skipped, not a recognized format (use --input-format to force one)\n`);
    }
  }
  if (parsed.length === 0) {
    throw new InputError(
      files.length === 0
        ? `${paths.join(", ")}: no JSON files found`
        : `${paths.join(", ")}: no recognizable IaC input (ARM/Bicep, Pulumi, az or Terraform JSON)`,
    );
  }

  const { findings } = scanInputs(
    parsed.map((p) => p.input),
    config,
  );
  const located = locate(
    findings,
    parsed.map((p) => p.doc),
  );
  const files_: FileSummary[] = parsed.map(({ doc, input }) => ({
    file: doc.file,
    format: input.format,
    nsgs: input.nsgs.length,
    rules: input.nsgs.reduce((n, g) => n + g.rules.length, 0),
    vms: input.vms.length,
  }));
  const report: ScanReport = {
    tool: { name: "azure-rdp-guard", version: packageVersion() },
    findings: located,
    files: files_,
    skipped,
  };

  const content =
    opts.format === "json"
      ? renderJson(report)
      : opts.format === "sarif"
        ? renderSarif(report)
        : renderText(report, { color: opts.color !== false && io.isTty && !opts.output && !process.env.NO_COLOR });
  const inputs = [...paths, ...files.map((f) => f.file), opts.config, opts.parameters];
  if (opts.output) await writeOutput(opts.output, content, inputs);
  else io.stdout(content);
  return exitCode(located, opts.failOn);
}

function locate(findings: Finding[], docs: readonly JsonDocument[]): Finding[] {
  const byFile = new Map<string, SourceLocation[]>();
  for (const f of findings) {
    if (!f.location?.file || !f.location.jsonPath) continue;
    let list = byFile.get(f.location.file);
    if (!list) byFile.set(f.location.file, (list = []));
    list.push(f.location);
  }
  const resolved = new Map<SourceLocation, SourceLocation>();
  for (const doc of docs) {
    const locs = byFile.get(doc.file);
    if (locs) for (const [k, v] of resolveLocations(doc, locs)) resolved.set(k, v);
  }
  return findings.map((f) =>
    f.location && resolved.has(f.location) ? { ...f, location: resolved.get(f.location) } : f,
  );
}
