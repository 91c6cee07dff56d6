import {
  nsgNoInternetRdp,
  nsgNoInternetRdpUdp,
  nsgRuleUnevaluable,
  vmRdpHardeningDrift,
  vmUnreachable,
  windowsVmBootDiagnostics,
  windowsVmRdpHardening,
} from "../checks";
import { GuardConfig, applyExemptions, engineOptions } from "../config";
import type { CloudName } from "../azure/clouds";
import { ManagementLock, locksCovering } from "../azure/locks";
import { Selection, typeQuery, vmQuery } from "../azure/queries";
import { FleetSource } from "../azure/source";
import {
  GraphVm,
  readGraphNic,
  readGraphPublicIp,
  readGraphVm,
  readNsgRules,
  readSubnetNsgs,
} from "../formats/resource-graph";
import { NsgEvaluation, evaluateNsg } from "../nsg/evaluate";
import { Finding } from "../nsg/findings";
import { RuleInput } from "../nsg/rules";
import { extensionNameOrDefault } from "../vm/extension-name";
import { EffectiveExposure, effectiveExposure } from "./effective";
import { AgentState, HardeningState, agentState, hardeningState, powerState } from "./instance-view";
import { mapPool } from "./pool";

/** `unknown`: something the verdict depends on could not be read (see `unknown` reasons). */
export type VmStatus = "compliant" | "drifted" | "unhardened" | "exposed" | "unreachable" | "not-windows" | "unknown";

/** The engine's effective exposure as the audit file holds it (JSON: the address count as a string). */
export interface VmExposure extends Omit<EffectiveExposure, "publicAddresses"> {
  readonly publicAddresses: string;
  readonly reason?: string;
  /** Set when exposure could not be decided (a NIC, subnet, NSG or public IP could not be read). */
  readonly unknown?: string;
}

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
  /** Management locks (Locks API) covering the VM, its disks, its NICs or its resource group. */
  readonly locks: readonly { id: string; level: string }[];
  /** Disks and NICs of the VM (lower-case ids), the resources a lock on them would protect. */
  readonly diskIds?: readonly string[];
  readonly nicIds?: readonly string[];
  readonly nsgIds: readonly string[];
  readonly hasPublicIp: boolean;
  readonly exposure: VmExposure;
  readonly hardening?: HardeningState;
  readonly status: readonly VmStatus[];
  /** Why the status is `unknown`: one line per thing that could not be read. */
  readonly unknown?: readonly string[];
}

/** The audit file `rdp-guard plan` consumes (versioned; `generatedAt` lets plans reject stale audits). */
export interface AuditDocument {
  readonly version: 1;
  readonly kind: "rdp-guard-audit";
  readonly generatedAt: string;
  readonly selection: Selection;
  readonly config: GuardConfig;
  /** The cloud audited (the remediation provider's environment follows it). */
  readonly cloud?: CloudName;
  /** The hardening extension name the audit looked for. */
  readonly extensionName?: string;
  readonly vms: VmAudit[];
  /** NSGs with their rules as read, so a plan can simulate added rules with the engine. */
  readonly nsgs: {
    id: string;
    name: string;
    resourceGroup: string;
    subscriptionId: string;
    rules: RuleInput[];
    /** Management locks covering the NSG (on it, its resource group or subscription): a ReadOnly one refuses a fix. */
    locks?: { id: string; level: string }[];
  }[];
  readonly findings: Finding[];
}

export interface AuditOptions {
  readonly config: GuardConfig;
  readonly extensionName?: string;
  readonly cloud?: CloudName;
  /** Instance-view requests in flight at once (default 16). */
  readonly concurrency?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly now?: () => Date;
}

const NO_EXPOSURE: VmExposure = { exposed: false, ports: [], publicAddresses: "0", rules: [] };

/**
 * Audits a fleet: Resource Graph for VMs, NICs, virtual networks, NSGs and public IPs in bulk; the
 * Locks API once per subscription; the engine for each NSG once; NIC and subnet NSGs intersected per
 * VM; instance views (agent, extension report) only for running Windows VMs, through a bounded pool.
 * What cannot be read makes the VM `unknown`, never compliant and never broken.
 */
export async function auditFleet(source: FleetSource, sel: Selection, opts: AuditOptions): Promise<AuditDocument> {
  const engine = engineOptions(opts.config);
  const extensionName = extensionNameOrDefault(opts.extensionName);
  const [vmRows, nicRows, vnetRows, nsgRows, pipRows] = await Promise.all([
    source.query(vmQuery(sel), sel),
    source.query(typeQuery("microsoft.network/networkinterfaces"), sel),
    source.query(typeQuery("microsoft.network/virtualnetworks"), sel),
    source.query(typeQuery("microsoft.network/networksecuritygroups"), sel),
    source.query(typeQuery("microsoft.network/publicipaddresses"), sel),
  ]);
  const graphVms = vmRows.map(readGraphVm);
  // Locks stop the audit when unreadable (LocksUnreadableError): a plan must never assume "unlocked".
  const subs = [...new Set(graphVms.map((v) => v.subscriptionId.toLowerCase()).filter(Boolean))];
  const locks: ManagementLock[] = (await Promise.all(subs.map((s) => source.subscriptionLocks(s)))).flat();

  const nics = new Map(nicRows.map((r) => [r.id.toLowerCase(), readGraphNic(r)]));
  const vnetIds = new Set(vnetRows.map((r) => r.id.toLowerCase()));
  const subnetNsg = new Map(vnetRows.flatMap(readSubnetNsgs));
  const pips = new Map(pipRows.map((r) => [r.id.toLowerCase(), readGraphPublicIp(r)]));
  const nsgRowsById = new Map(nsgRows.map((r) => [r.id.toLowerCase(), r]));
  const evaluations = new Map<string, NsgEvaluation>();
  const evaluate = (id: string): NsgEvaluation | undefined => {
    const row = nsgRowsById.get(id);
    if (!row) return undefined;
    let e = evaluations.get(id);
    if (!e)
      evaluations.set(
        id,
        (e = evaluateNsg(
          { id: row.id, name: row.name, type: "Microsoft.Network/networkSecurityGroups", rules: readNsgRules(row) },
          engine,
        )),
      );
    return e;
  };

  const base = graphVms.map((vm) => {
    const network = networkOf(vm, { nics, vnetIds, subnetNsg, pips, nsgIds: nsgRowsById });
    const rg = `/subscriptions/${vm.subscriptionId}/resourcegroups/${vm.resourceGroup}`.toLowerCase();
    const covering = locksCovering(locks, [vm.id, ...vm.diskIds, ...vm.nicIds, rg]);
    return { vm, network, locks: covering.map((l) => ({ id: l.id, level: l.level })) };
  });
  // The NSGs a fix would write to: their subscriptions' locks too (an NSG shares its NIC's subscription, but
  // nothing is assumed: a subscription not read yet is read here).
  const nsgSubs = new Set(
    base.flatMap((b) => b.network.nsgIds.map((id) => /^\/subscriptions\/([^/]+)/i.exec(id)?.[1])),
  );
  for (const sub of nsgSubs) {
    if (sub && !subs.includes(sub.toLowerCase())) {
      subs.push(sub.toLowerCase());
      locks.push(...(await source.subscriptionLocks(sub)));
    }
  }

  // Instance views only where the report is needed: Windows VMs that are not known to be stopped.
  const needView = base.filter((b) => b.vm.windows && !/deallocated|stopped/i.test(b.vm.powerState ?? ""));
  const views = new Map<string, Awaited<ReturnType<FleetSource["instanceView"]>> | Error>();
  await mapPool(
    needView,
    opts.concurrency ?? 16,
    async (b) => {
      try {
        views.set(b.vm.id, await source.instanceView(b.vm.subscriptionId, b.vm.resourceGroup, b.vm.name));
      } catch (e) {
        views.set(b.vm.id, e instanceof Error ? e : new Error(String(e)));
      }
    },
    (done) => opts.onProgress?.(done, needView.length),
  );

  const vms: VmAudit[] = base.map(({ vm, network, locks: vmLocks }) => {
    const view = views.get(vm.id);
    const viewOk = view && !(view instanceof Error) ? view : undefined;
    const unknown: string[] = [];
    if (view instanceof Error) unknown.push(`instance view unreadable: ${view.message.split("\n")[0]}`);
    const power = viewOk ? powerState(viewOk, vm.powerState) : powerState(undefined, vm.powerState);
    const agent = viewOk ? agentState(viewOk) : undefined;
    const hardening = viewOk ? hardeningState(viewOk, extensionName) : undefined;
    const exposure = exposureOf(network, evaluate, engine);
    if (exposure.unknown) unknown.push(`RDP exposure unknown: ${exposure.unknown}`);
    const status: VmStatus[] = [];
    if (!vm.windows) status.push("not-windows");
    else {
      const stopped = /deallocated|stopped/i.test(vm.powerState ?? "") || (viewOk !== undefined && power !== "running");
      if (stopped || (agent && !agent.ready)) status.push("unreachable");
      if (exposure.exposed) status.push("exposed");
      if (hardening && !hardening.present) status.push("unhardened");
      if (
        hardening?.present &&
        (hardening.notOk.length > 0 || hardening.failed > 0 || hardening.provisioning === "failed")
      )
        status.push("drifted");
      if (unknown.length > 0) status.push("unknown");
      if (status.length === 0) status.push("compliant");
    }
    return {
      id: vm.id,
      name: vm.name,
      subscriptionId: vm.subscriptionId,
      resourceGroup: vm.resourceGroup,
      location: vm.location,
      osType: vm.osType,
      powerState: view instanceof Error && !vm.powerState ? "unknown" : power,
      agent,
      bootDiagnostics: vm.bootDiagnostics,
      locks: vmLocks,
      diskIds: vm.diskIds,
      nicIds: vm.nicIds,
      nsgIds: network.nsgIds,
      hasPublicIp: network.hasPublicIp,
      exposure,
      hardening,
      status,
      ...(unknown.length > 0 && vm.windows ? { unknown } : {}),
    };
  });

  const now = opts.now?.() ?? new Date();
  const findings = applyExemptions(
    vms.flatMap(vmAuditFindings),
    opts.config.exemptions,
    now.toISOString().slice(0, 10),
  );
  const nsgs = nsgRows.map((r) => {
    const nsgLocks = locksCovering(locks, [r.id]).map((l) => ({ id: l.id, level: l.level }));
    return {
      id: r.id,
      name: r.name,
      resourceGroup: r.resourceGroup ?? "",
      subscriptionId: r.subscriptionId ?? "",
      rules: readNsgRules(r),
      ...(nsgLocks.length > 0 ? { locks: nsgLocks } : {}),
    };
  });
  return {
    version: 1,
    kind: "rdp-guard-audit",
    generatedAt: now.toISOString(),
    selection: sel,
    config: opts.config,
    ...(opts.cloud ? { cloud: opts.cloud } : {}),
    extensionName,
    vms,
    nsgs,
    findings,
  };
}

interface NetworkIndex {
  readonly nics: Map<string, ReturnType<typeof readGraphNic>>;
  readonly vnetIds: ReadonlySet<string>;
  readonly subnetNsg: ReadonlyMap<string, string>;
  readonly pips: ReadonlyMap<string, ReturnType<typeof readGraphPublicIp>>;
  readonly nsgIds: ReadonlyMap<string, unknown>;
}

interface VmNetwork {
  /** One entry per NIC x subnet: the NSGs inbound traffic passes. */
  readonly levels: readonly { nic?: string; subnet?: string; publicIp?: string }[];
  readonly nsgIds: string[];
  readonly hasPublicIp: boolean;
  readonly unknown: string[];
  /** Public IPs on a NIC/subnet pair with no NSG at all, with their SKU. */
  readonly unfiltered: { publicIp: string; sku: string }[];
}

function networkOf(vm: GraphVm, ix: NetworkIndex): VmNetwork {
  const levels: { nic?: string; subnet?: string; publicIp?: string }[] = [];
  const unknown: string[] = [];
  const unfiltered: { publicIp: string; sku: string }[] = [];
  let hasPublicIp = false;
  for (const nicId of vm.nicIds) {
    const nic = ix.nics.get(nicId);
    if (!nic) {
      unknown.push(`NIC ${nicId} could not be read`);
      continue;
    }
    if (nic.nsgId && !ix.nsgIds.has(nic.nsgId)) unknown.push(`NSG ${nic.nsgId} (on NIC ${nicId}) could not be read`);
    const configs = nic.ipConfigs.length > 0 ? nic.ipConfigs : [{}];
    for (const c of configs) {
      let subnetNsg: string | undefined;
      if (c.subnetId) {
        const vnet = c.subnetId.split("/subnets/")[0]!;
        if (!ix.vnetIds.has(vnet)) unknown.push(`virtual network ${vnet} (subnet of NIC ${nicId}) could not be read`);
        subnetNsg = ix.subnetNsg.get(c.subnetId);
        if (subnetNsg && !ix.nsgIds.has(subnetNsg))
          unknown.push(`NSG ${subnetNsg} (on subnet ${c.subnetId}) could not be read`);
      }
      if (c.publicIpId) hasPublicIp = true;
      levels.push({ nic: nic.nsgId, subnet: subnetNsg, publicIp: c.publicIpId });
      if (c.publicIpId && !nic.nsgId && !subnetNsg) {
        const pip = ix.pips.get(c.publicIpId);
        if (!pip) unknown.push(`public IP ${c.publicIpId} (no NSG on NIC ${nicId} or its subnet) could not be read`);
        else unfiltered.push({ publicIp: c.publicIpId, sku: pip.sku });
      }
    }
  }
  const nsgIds = [...new Set(levels.flatMap((l) => [l.subnet, l.nic]).filter((x): x is string => !!x))];
  return { levels, nsgIds, hasPublicIp, unknown: [...new Set(unknown)], unfiltered };
}

function exposureOf(
  net: VmNetwork,
  evaluate: (id: string) => NsgEvaluation | undefined,
  engine: ReturnType<typeof engineOptions>,
): VmExposure {
  const exposures = net.levels.map((l) =>
    effectiveExposure([l.subnet ? evaluate(l.subnet) : undefined, l.nic ? evaluate(l.nic) : undefined], engine),
  );
  const hit = exposures.find((e) => e.exposed);
  if (hit)
    return {
      exposed: true,
      protocol: hit.protocol,
      ports: hit.ports,
      publicAddresses: hit.publicAddresses.toString(),
      rules: hit.rules,
    };
  // A Basic public IP with no NSG is open to the Internet; a Standard one is closed to inbound traffic
  // unless an NSG allows it (https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses#sku;
  // Basic SKU public IPs were retired on 30 September 2025).
  const basic = net.unfiltered.find((u) => u.sku.toLowerCase() !== "standard");
  if (basic) {
    return {
      exposed: true,
      protocol: "TCP",
      ports: [...engine.rdpPorts],
      publicAddresses: "unknown",
      rules: [],
      reason: `public IP ${basic.publicIp.split("/").pop()} (SKU ${basic.sku}) has no NSG on the NIC or its subnet`,
    };
  }
  if (net.unknown.length > 0) return { ...NO_EXPOSURE, publicAddresses: "unknown", unknown: net.unknown.join("; ") };
  return NO_EXPOSURE;
}

export function vmAuditFindings(vm: VmAudit): Finding[] {
  if (vm.status.includes("not-windows")) return [];
  const out: Finding[] = [];
  if (vm.status.includes("unreachable")) {
    const why =
      vm.powerState !== "running" ? `VM is ${vm.powerState}` : `VM agent not ready (${vm.agent?.status ?? "unknown"})`;
    out.push(vmUnreachable.finding(vm, why));
  }
  if (vm.exposure.exposed) {
    const protocol = vm.exposure.protocol ?? "TCP";
    const rules = vm.exposure.rules.map((r) => `${r.nsgName}/${r.rule} (priority ${r.priority})`).join(", ");
    const reason =
      vm.exposure.reason ?? `effective NIC+subnet rules ${rules} admit ${vm.exposure.publicAddresses} public addresses`;
    const check = protocol === "UDP" ? nsgNoInternetRdpUdp : nsgNoInternetRdp;
    out.push(check.vmFinding(vm, { ports: vm.exposure.ports, protocol, reason }));
  } else if (vm.exposure.unknown) {
    // Fail closed: exposure that cannot be decided is a finding, never "compliant".
    out.push(nsgRuleUnevaluable.vmFinding(vm, vm.exposure.unknown));
  }
  if (vm.status.includes("drifted")) {
    const h = vm.hardening;
    out.push(vmRdpHardeningDrift.finding(vm, h?.notOk.join(", ") || h?.message || `extension ${h?.provisioning}`));
  }
  if (vm.status.includes("unhardened")) {
    out.push(windowsVmRdpHardening.finding(vm, { otherCustomScript: vm.hardening?.otherCustomScript }));
  }
  if (!vm.bootDiagnostics) out.push(windowsVmBootDiagnostics.finding(vm));
  return out;
}
