import { Command, Option } from "commander";
import { loadConfig } from "../config";
import { AuditDocument, auditFleet } from "../fleet/audit";
import { readConfigFile } from "./config-file";
import { ScanReport, summarize } from "../report/model";
import { renderSarif } from "../report/sarif";
import { AzureCliOptions, addAzureOptions, fleetSource, selectionOf } from "./azure-options";
import { writeOutput } from "./output";
import { CliIo, FailOn, exitCode } from "./scan";
import { packageVersion } from "../version";

interface AuditCliOptions extends AzureCliOptions {
  format: "text" | "json" | "sarif";
  output?: string;
  config?: string;
  failOn: FailOn;
}

export async function configFromFile(file: string | undefined) {
  return file ? loadConfig(await readConfigFile(file), file) : loadConfig({}, "defaults");
}

export function renderAuditText(doc: AuditDocument): string {
  const lines: string[] = [];
  for (const vm of doc.vms) {
    const status = vm.status.join(",").toUpperCase();
    const details: string[] = [];
    if (vm.exposure.exposed) details.push(`exposed on ${vm.exposure.ports.join(",")} via ${vm.exposure.rules.map((r) => `${r.nsgName}/${r.rule}`).join(", ") || vm.exposure.reason}`);
    if (vm.status.includes("drifted")) details.push(`drift: ${vm.hardening?.notOk.join(", ") || vm.hardening?.message || vm.hardening?.provisioning}`);
    if (vm.status.includes("unreachable")) details.push(vm.powerState !== "running" ? `power ${vm.powerState}` : `agent: ${vm.agent?.status}`);
    if (vm.status.includes("unhardened")) details.push(vm.hardening?.otherCustomScript ? `no hardening (CustomScript slot used by ${vm.hardening.otherCustomScript})` : "no hardening extension");
    if (vm.unknown?.length) details.push(`unknown: ${vm.unknown.join("; ")}`);
    if (vm.locks.length > 0) details.push(`locked (${vm.locks.map((l) => l.level).join(",")})`);
    lines.push(`${status.padEnd(20)} ${vm.name}  ${vm.resourceGroup}/${vm.subscriptionId}${details.length ? `  ${details.join("; ")}` : ""}`);
  }
  const count = (s: string) => doc.vms.filter((v) => v.status.includes(s as never)).length;
  lines.push("", `${doc.vms.length} VM(s): ${count("compliant")} compliant, ${count("drifted")} drifted, ${count("unhardened")} unhardened, ${count("exposed")} exposed, ${count("unreachable")} unreachable, ${count("unknown")} unknown, ${count("not-windows")} not Windows`);
  return lines.join("\n") + "\n";
}

export function auditCommand(io: CliIo, setExit: (code: number) => void): Command {
  const cmd = new Command("audit")
    .description("Audit live Windows VMs: RDP exposure (NIC + subnet NSGs), hardening drift, agent state")
    .addOption(new Option("--format <format>", "report format").choices(["text", "json", "sarif"]).default("text"))
    .option("--output <file>", "write the report to a file (json: the audit file `rdp-guard plan` reads)")
    .option("--config <file>", "JSON config file (same schema as the policy pack)")
    .addOption(new Option("--fail-on <level>", "exit 1 at or above this severity").choices(["error", "warning", "never"]).default("error"));
  addAzureOptions(cmd);
  return cmd.action(async (opts: AuditCliOptions) => {
    const sel = selectionOf(opts);
    const config = await configFromFile(opts.config);
    const source = await fleetSource(opts, process.env, (l) => io.stderr(`${l}\n`));
    const progress = io.isTty ? (done: number, total: number) => io.stderr(`\raudit: instance views ${done}/${total}`) : undefined;
    const doc = await auditFleet(source, sel, {
      config, extensionName: opts.extensionName, concurrency: opts.concurrency, onProgress: progress, cloud: source.cloud.name,
    });
    if (progress) io.stderr("\n");
    const report: ScanReport = { tool: { name: "azure-rdp-guard", version: packageVersion() }, findings: doc.findings, files: [], skipped: [] };
    const content = opts.format === "json" ? JSON.stringify({ ...doc, summary: summarize(report) }, null, 2) + "\n"
      : opts.format === "sarif" ? renderSarif(report) : renderAuditText(doc);
    if (opts.output) await writeOutput(opts.output, content, [opts.config]);
    else io.stdout(content);
    // A VM whose state could not be read is never reported clean.
    const unknown = doc.vms.filter((v) => v.status.includes("unknown")).length;
    if (unknown > 0) io.stderr(`rdp-guard: ${unknown} VM(s) could not be fully read (status unknown); see the report\n`);
    setExit(Math.max(exitCode(doc.findings, opts.failOn), unknown > 0 && opts.failOn !== "never" ? 1 : 0));
  });
}
