import { bootDiagnostics, hardeningDrift, hardeningExtension, internetRdpTcp, internetRdpUdp, vmUnreachable } from "../checks";
import { GuardConfig, applyExemptions, engineOptions } from "../config";
import { GraphRow, get, lower } from "../azure/model";
import { Selection, lockQuery, typeQuery, vmQuery } from "../azure/queries";
import { FleetSource } from "../azure/source";
import { elements, isRecord, plainGet, readRule } from "../formats/fields";
import { NsgEvaluation, evaluateNsg } from "../nsg/evaluate";
import { Finding } from "../nsg/findings";
import { RuleInput } from "../nsg/rules";
import { EffectiveRule, effectiveExposure } from "./effective";
import { AgentState, HardeningState, agentState, hardeningState, powerState } from "./instance-view";
import { mapPool } from "./pool";

export type VmStatus = "compliant" | "drifted" | "unhardened" | "exposed" | "unreachable" | "not-windows";

export interface VmAudit {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly osType: string;
  readonly powerState: string;
  readonly agent?: AgentState;
  readonly bootDiagnostics: boolean;
  /** Management locks whose scope covers the VM (subscription, resource group or the VM). */
  readonly locks: readonly { id: string; level: string }[];
  readonly nsgIds: readonly string[];
  readonly hasPublicIp: boolean;
  readonly exposure: { exposed: boolean; protocol?: "TCP" | "UDP"; ports: readonly number[]; publicAddresses: string; rules: readonly EffectiveRule[]; reason?: string };
  readonly hardening?: HardeningState;
  readonly status: readonly VmStatus[];
}

/** The audit file `rdp-guard plan` consumes (versioned; `generatedAt` lets plans reject stale audits). */
export interface AuditDocument {
  readonly version: 1;
  readonly kind: "rdp-guard-audit";
  readonly generatedAt: string;
  readonly selection: Selection;
  readonly config: GuardConfig;
  readonly vms: VmAudit[];
  /** NSGs with their rules as read, so a plan can simulate added rules with the engine. */
  readonly nsgs: { id: string; name: string; resourceGroup: string; subscriptionId: string; rules: RuleInput[] }[];
  readonly findings: Finding[];
}

export interface AuditOptions {
  readonly config: GuardConfig;
  readonly extensionName?: string;
  /** Instance-view requests in flight at once (default 16). */
  readonly concurrency?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly now?: () => Date;
}

function nsgRules(row: GraphRow): RuleInput[] {
  const out: RuleInput[] = [];
  for (const [field, isDefault] of [["securityRules", false], ["defaultSecurityRules", true]] as const) {
    const list = get(row.properties, field);
    if (!Array.isArray(list)) continue;
    elements(list, plainGet).forEach((r, i) => {
      if (isRecord(r)) out.push(readRule(r, { isDefault, fallbackName: `${field}[${i}]`, resourceId: typeof r.id === "string" ? r.id : undefined }));
    });
  }
  return out;
}

/**
 * Audits a fleet: Resource Graph for VMs, NICs, virtual networks, NSGs and locks in bulk; the engine
 * for each NSG once; NIC and subnet NSGs intersected per VM; instance views (agent, extension report)
 * only for running Windows VMs, through a bounded pool.
 */
export async function auditFleet(source: FleetSource, sel: Selection, opts: AuditOptions): Promise<AuditDocument> {
  const engine = engineOptions(opts.config);
  const extensionName = opts.extensionName ?? "azure-rdp-guard";
  const [vmRows, nicRows, vnetRows, nsgRows, lockRows] = await Promise.all([
    source.query(vmQuery(sel), sel),
    source.query(typeQuery("microsoft.network/networkinterfaces"), sel),
    source.query(typeQuery("microsoft.network/virtualnetworks"), sel),
    source.query(typeQuery("microsoft.network/networksecuritygroups"), sel),
    source.query(lockQuery(), sel),
  ]);

  const nics = new Map(nicRows.map((r) => [lower(r.id), r]));
  const subnetNsg = new Map<string, string>();
  for (const v of vnetRows) {
    const subnets = get(v.properties, "subnets");
    if (!Array.isArray(subnets)) continue;
    for (const s of subnets) {
      const nsg = lower(get(s, "properties", "networkSecurityGroup", "id"));
      if (nsg) subnetNsg.set(lower(get(s, "id")), nsg);
    }
  }
  const nsgRowsById = new Map(nsgRows.map((r) => [lower(r.id), r]));
  const evaluations = new Map<string, NsgEvaluation>();
  const evaluate = (id: string): NsgEvaluation | undefined => {
    const row = nsgRowsById.get(id);
    if (!row) return undefined;
    let e = evaluations.get(id);
    if (!e) {
      e = evaluateNsg({ id: row.id, name: row.name, type: "Microsoft.Network/networkSecurityGroups", rules: nsgRules(row) }, engine);
      evaluations.set(id, e);
    }
    return e;
  };
  const locks = lockRows.map((l) => ({ id: l.id, level: String(get(l.properties, "level") ?? "unknown"), scope: lower(l.id.split(/\/providers\/Microsoft\.Authorization\/locks\//i)[0]) }));

  const base = vmRows.map((vm) => {
    const osType = String(get(vm.properties, "storageProfile", "osDisk", "osType") ?? (get(vm.properties, "osProfile", "windowsConfiguration") ? "Windows" : "unknown"));
    const nicIds = (get(vm.properties, "networkProfile", "networkInterfaces") as unknown[] | undefined ?? []).map((n) => lower(get(n, "id")));
    const levels: { nic?: string; subnet?: string }[] = [];
    let hasPublicIp = false;
    for (const nicId of nicIds) {
      const nic = nics.get(nicId);
      const ipConfigs = (get(nic?.properties, "ipConfigurations") as unknown[] | undefined) ?? [];
      if (ipConfigs.some((c) => get(c, "properties", "publicIPAddress", "id"))) hasPublicIp = true;
      const nicNsg = lower(get(nic?.properties, "networkSecurityGroup", "id")) || undefined;
      const subnets = new Set(ipConfigs.map((c) => lower(get(c, "properties", "subnet", "id"))).filter(Boolean));
      if (subnets.size === 0) levels.push({ nic: nicNsg });
      for (const s of subnets) levels.push({ nic: nicNsg, subnet: subnetNsg.get(s) });
    }
    const vmId = lower(vm.id);
    return {
      vm, osType, hasPublicIp, levels,
      locks: locks.filter((l) => vmId === l.scope || vmId.startsWith(`${l.scope}/`)).map(({ id, level }) => ({ id, level })),
      graphPower: typeof get(vm.properties, "extended", "instanceView", "powerState", "code") === "string" ? String(get(vm.properties, "extended", "instanceView", "powerState", "code")) : undefined,
    };
  });

  // Instance views only where the report is needed: Windows VMs that are not known to be stopped.
  const needView = base.filter((b) => b.osType.toLowerCase() === "windows" && !/deallocated|stopped/i.test(b.graphPower ?? ""));
  const views = new Map<string, Awaited<ReturnType<FleetSource["instanceView"]>> | Error>();
  await mapPool(needView, opts.concurrency ?? 16, async (b) => {
    try {
      views.set(b.vm.id, await source.instanceView(b.vm.subscriptionId ?? "", b.vm.resourceGroup ?? "", b.vm.name));
    } catch (e) {
      views.set(b.vm.id, e instanceof Error ? e : new Error(String(e)));
    }
  }, (done) => opts.onProgress?.(done, needView.length));

  const vms: VmAudit[] = base.map((b) => {
    const windows = b.osType.toLowerCase() === "windows";
    const view = views.get(b.vm.id);
    const viewOk = view && !(view instanceof Error) ? view : undefined;
    const power = powerState(viewOk, b.graphPower);
    const agent = viewOk ? agentState(viewOk) : view instanceof Error ? { ready: false, status: `instance view failed: ${view.message}` } : undefined;
    const hardening = viewOk ? hardeningState(viewOk, extensionName) : undefined;
    const exposures = b.levels.map((l) => effectiveExposure([l.subnet ? evaluate(l.subnet) : undefined, l.nic ? evaluate(l.nic) : undefined].filter((x): x is NsgEvaluation => !!x), engine));
    const noNsg = b.hasPublicIp && b.levels.some((l) => !l.nic && !l.subnet);
    const hit = exposures.find((e) => e.exposed);
    const exposure = hit
      ? { exposed: true, protocol: hit.protocol, ports: hit.ports, publicAddresses: hit.publicAddresses.toString(), rules: hit.rules }
      : noNsg
        ? { exposed: true, protocol: "TCP" as const, ports: [...engine.rdpPorts], publicAddresses: "unknown", rules: [], reason: "a NIC with a public IP has no NSG on the NIC or its subnet" }
        : { exposed: false, ports: [], publicAddresses: "0", rules: [] };
    const status: VmStatus[] = [];
    if (!windows) status.push("not-windows");
    else {
      if (power !== "running" || (agent && !agent.ready)) status.push("unreachable");
      if (exposure.exposed) status.push("exposed");
      if (hardening && !hardening.present) status.push("unhardened");
      if (hardening?.present && (hardening.notOk.length > 0 || hardening.failed > 0 || hardening.provisioning === "failed")) status.push("drifted");
      if (status.length === 0) status.push("compliant");
    }
    return {
      id: b.vm.id, name: b.vm.name, subscriptionId: b.vm.subscriptionId ?? "", resourceGroup: b.vm.resourceGroup ?? "", location: b.vm.location ?? "",
      osType: b.osType, powerState: power, agent, bootDiagnostics: get(b.vm.properties, "diagnosticsProfile", "bootDiagnostics", "enabled") === true,
      locks: b.locks, nsgIds: [...new Set(b.levels.flatMap((l) => [l.subnet, l.nic]).filter((x): x is string => !!x))], hasPublicIp: b.hasPublicIp,
      exposure, hardening, status,
    };
  });

  const findings = applyExemptions(vms.flatMap(vmAuditFindings), opts.config.exemptions, (opts.now?.() ?? new Date()).toISOString().slice(0, 10));
  const nsgs = nsgRows.map((r) => ({ id: r.id, name: r.name, resourceGroup: r.resourceGroup ?? "", subscriptionId: r.subscriptionId ?? "", rules: nsgRules(r) }));
  return { version: 1, kind: "rdp-guard-audit", generatedAt: (opts.now?.() ?? new Date()).toISOString(), selection: sel, config: opts.config, vms, nsgs, findings };
}

export function vmAuditFindings(vm: VmAudit): Finding[] {
  if (vm.status.includes("not-windows")) return [];
  const resource = { id: vm.id, name: vm.name, type: "Microsoft.Compute/virtualMachines" };
  const out: Finding[] = [];
  if (vm.status.includes("unreachable")) {
    const why = vm.powerState !== "running" ? `VM is ${vm.powerState}` : `VM agent not ready (${vm.agent?.status ?? "unknown"})`;
    out.push({ checkId: vmUnreachable.id, severity: vmUnreachable.severity, resource, reason: why, message: `Windows VM '${vm.name}' cannot be repaired online: ${why}`, fix: vmUnreachable.help });
  }
  if (vm.exposure.exposed) {
    const check = vm.exposure.protocol === "UDP" ? internetRdpUdp : internetRdpTcp;
    const rules = vm.exposure.rules.map((r) => `${r.nsgName}/${r.rule} (priority ${r.priority})`).join(", ");
    const reason = vm.exposure.reason ?? `effective NIC+subnet rules ${rules} admit ${vm.exposure.publicAddresses} public addresses`;
    out.push({
      checkId: check.id, severity: check.severity, resource, reason,
      message: `Windows VM '${vm.name}' is reachable on RDP port ${vm.exposure.ports.join(", ")} over ${vm.exposure.protocol ?? "TCP"} from the Internet: ${reason}`,
      fix: check.help,
    });
  }
  if (vm.status.includes("drifted")) {
    const what = vm.hardening?.notOk.join(", ") || vm.hardening?.message || `extension ${vm.hardening?.provisioning}`;
    out.push({ checkId: hardeningDrift.id, severity: hardeningDrift.severity, resource, reason: what, message: `Windows VM '${vm.name}' drifted from the RDP baseline: ${what}`, fix: hardeningDrift.help });
  }
  if (vm.status.includes("unhardened")) {
    const other = vm.hardening?.otherCustomScript ? ` (CustomScript slot used by '${vm.hardening.otherCustomScript}')` : "";
    out.push({ checkId: hardeningExtension.id, severity: hardeningExtension.severity, resource, reason: `no RdpHardening extension${other}`, message: `Windows VM '${vm.name}' has no RDP hardening extension${other}`, fix: hardeningExtension.help });
  }
  if (!vm.bootDiagnostics) {
    out.push({ checkId: bootDiagnostics.id, severity: bootDiagnostics.severity, resource, reason: "boot diagnostics disabled", message: `Windows VM '${vm.name}' has boot diagnostics disabled, so Serial Console cannot be used to repair RDP`, fix: bootDiagnostics.help });
  }
  return out;
}
