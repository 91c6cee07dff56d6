import { randomBytes } from "node:crypto";
import type { Disk, VirtualMachine } from "@azure/arm-compute";
import { encodeHardeningCommand } from "../../baseline/encode";
import { HardeningOptions } from "../../baseline/options";
import { renderOfflineScript } from "../../baseline/render-offline";
import { agentState, hardeningState } from "../instance-view";
import { RemediationPlan } from "../plan";
import { RepairCloud } from "./cloud";
import { REPAIR_STEPS, RepairJournal, RepairStep, VmJournal, saveJournal } from "./journal";

export interface RepairOptions {
  readonly journalFile: string;
  readonly baseline?: HardeningOptions;
  readonly rescueVmSize?: string;
  /** Looks up a NIC's subnet (Resource Graph); the rescue VM joins the broken VM's subnet. */
  readonly nicSubnet: (nicId: string) => Promise<string | undefined>;
  /** Locks covering a VM (Resource Graph); a locked VM is never touched. */
  readonly locksOn: (vmId: string) => Promise<string[]>;
  readonly log?: (line: string) => void;
  /** Agent checks after start: attempts and delay. */
  readonly verifyAttempts?: number;
  readonly verifyDelayMs?: number;
  /** Test hook: called after a step's cloud work, before the journal records it as done. */
  readonly beforeRecord?: (vmId: string, step: RepairStep) => void | Promise<void>;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class RepairError extends Error {
  constructor(readonly vm: string, readonly step: RepairStep, message: string) {
    super(`${vm}: step ${step}: ${message}`);
    this.name = "RepairError";
  }
}

const sleepReal = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const short = (s: string, n: number): string => s.toLowerCase().replace(/[^a-z0-9-]/g, "").slice(0, n);

/** A new journal for the plan's offline repairs, or the existing one when resuming. */
export function initJournal(plan: RemediationPlan, existing: RepairJournal | undefined, now = new Date()): RepairJournal {
  if (existing && existing.planId !== plan.id) {
    throw new Error(`the journal belongs to plan ${existing.planId}, not ${plan.id}: finish or move it aside first`);
  }
  const j: RepairJournal = existing ?? { version: 1, kind: "rdp-guard-repair-journal", planId: plan.id, createdAt: now.toISOString(), vms: {} };
  for (const vm of plan.vms) {
    if (vm.skipped || !vm.actions.includes("offline-repair")) continue;
    j.vms[vm.id] ??= { id: vm.id, name: vm.name, subscriptionId: vm.subscriptionId, resourceGroup: vm.resourceGroup, status: "pending", facts: {}, steps: {} };
  }
  return j;
}

/**
 * The runbook's offline repair as an ordered, resumable workflow per VM. Every step first checks
 * what already exists, so a run interrupted anywhere finishes without duplicates. Nothing is deleted
 * except the rescue VM, and only after the swap succeeded; the snapshot, the original OS disk and the
 * repaired copy are always kept (`rdp-guard rollback` swaps the original back).
 */
export class RepairWorkflow {
  private readonly sleep: (ms: number) => Promise<void>;
  constructor(private readonly cloud: RepairCloud, private readonly journal: RepairJournal, private readonly plan: RemediationPlan, private readonly o: RepairOptions) {
    this.sleep = o.sleep ?? sleepReal;
  }

  private log(s: string): void {
    this.o.log?.(s);
  }

  private async record(vm: VmJournal, step: RepairStep, status: "running" | "done" | "failed", detail?: string): Promise<void> {
    vm.steps[step] = { status, at: new Date().toISOString(), ...(detail ? { detail } : {}) };
    await saveJournal(this.o.journalFile, this.journal);
  }

  async runAll(): Promise<{ done: string[]; failed: { vm: string; error: string }[] }> {
    const done: string[] = [];
    const failed: { vm: string; error: string }[] = [];
    for (const vm of Object.values(this.journal.vms)) {
      if (vm.status === "done" || vm.status === "rolled-back") {
        done.push(vm.name);
        continue;
      }
      try {
        await this.runVm(vm);
        done.push(vm.name);
      } catch (e) {
        if (!(e instanceof RepairError)) throw e; // unexpected (or a simulated crash): stop, the journal is consistent
        vm.status = "failed";
        vm.error = e.message;
        await saveJournal(this.o.journalFile, this.journal);
        failed.push({ vm: vm.name, error: e.message });
        this.log(`FAILED ${e.message}`);
      }
    }
    return { done, failed };
  }

  private async runVm(vm: VmJournal): Promise<void> {
    vm.status = "in-progress";
    vm.error = undefined;
    await saveJournal(this.o.journalFile, this.journal);
    for (const step of REPAIR_STEPS) {
      if (vm.steps[step]?.status === "done") continue;
      await this.record(vm, step, "running");
      let detail: string;
      try {
        detail = await this.step(vm, step);
      } catch (e) {
        const msg = e instanceof RepairError ? e.message.replace(/^.*?: step [a-z-]+: /, "") : (e as Error).message;
        await this.record(vm, step, "failed", msg);
        throw new RepairError(vm.name, step, msg);
      }
      await this.o.beforeRecord?.(vm.id, step);
      await this.record(vm, step, "done", detail);
      this.log(`${vm.name}: ${step}: ${detail}`);
    }
    vm.status = "done";
    await saveJournal(this.o.journalFile, this.journal);
  }

  private async step(vm: VmJournal, step: RepairStep): Promise<string> {
    const { subscriptionId: sub, resourceGroup: rg, name } = vm;
    const f = vm.facts;
    const c = this.cloud;
    switch (step) {
      case "inspect": {
        const model = await c.getVm(sub, rg, name);
        if (!model) throw new RepairError(name, step, "VM not found");
        if (String(model.storageProfile?.osDisk?.osType ?? "").toLowerCase() !== "windows") throw new RepairError(name, step, "not a Windows VM: refusing to touch it");
        const locks = await this.o.locksOn(vm.id);
        if (locks.length > 0) throw new RepairError(name, step, `under management lock ${locks.join(", ")}: refusing to touch it`);
        const osDiskId = model.storageProfile?.osDisk?.managedDisk?.id;
        if (!osDiskId) throw new RepairError(name, step, "OS disk is not a managed disk");
        // On resume the VM may already run on the copy; keep the original facts from the journal.
        if (!f.osDiskId) {
          const diskName = osDiskId.split("/").pop()!;
          const disk = await c.getDisk(sub, rg, diskName);
          const nicId = model.networkProfile?.networkInterfaces?.[0]?.id;
          f.osDiskId = osDiskId;
          f.osDiskName = diskName;
          f.location = model.location;
          f.zones = model.zones;
          f.hyperVGeneration = disk?.hyperVGeneration;
          f.securityType = model.securityProfile?.securityType;
          f.diskSku = disk?.sku?.name;
          f.subnetId = nicId ? await this.o.nicSubnet(nicId) : undefined;
          if (!f.subnetId) throw new RepairError(name, step, "cannot find the VM's subnet for the rescue VM");
          const tag = this.plan.id.slice(0, 8);
          f.snapshotName = `${short(name, 40)}-rdpguard-${tag}`;
          f.copyName = `${short(name, 40)}-osdisk-rdpguard-${tag}`;
          f.rescueVmName = `rescue-${short(name, 6)}-${tag}`;
        }
        return `OS disk ${f.osDiskName} (${f.hyperVGeneration ?? "V1"}, ${f.securityType ?? "Standard"})`;
      }
      case "snapshot": {
        const existing = await c.getSnapshot(sub, rg, f.snapshotName!);
        const snap = existing ?? await c.createSnapshot(sub, rg, f.snapshotName!, {
          location: f.location!, incremental: true, creationData: { createOption: "Copy", sourceResourceId: f.osDiskId },
          tags: { "azure-rdp-guard": `repair ${this.plan.id} of ${name}` },
        });
        f.snapshotId = snap.id;
        return `${existing ? "reused" : "created"} ${f.snapshotName}`;
      }
      case "disk-copy": {
        const existing = await c.getDisk(sub, rg, f.copyName!);
        const disk: Disk = existing ?? await c.createDisk(sub, rg, f.copyName!, {
          location: f.location!, zones: f.zones, sku: f.diskSku ? { name: f.diskSku as never } : undefined,
          hyperVGeneration: f.hyperVGeneration as never,
          ...(f.securityType === "TrustedLaunch" ? { securityProfile: { securityType: "TrustedLaunch" } } : {}),
          creationData: { createOption: "Copy", sourceResourceId: f.snapshotId },
          tags: { "azure-rdp-guard": `repair ${this.plan.id} of ${name}` },
        });
        f.copyId = disk.id;
        return `${existing ? "reused" : "created"} ${f.copyName}`;
      }
      case "rescue-vm": {
        const existing = await c.getVm(sub, rg, f.rescueVmName!);
        if (existing) return `reused ${f.rescueVmName}`;
        const vmSpec: VirtualMachine = {
          location: f.location!, zones: f.zones,
          hardwareProfile: { vmSize: (this.o.rescueVmSize ?? "Standard_D2s_v5") as never },
          storageProfile: {
            imageReference: { publisher: "MicrosoftWindowsServer", offer: "WindowsServer", sku: "2022-datacenter-azure-edition", version: "latest" },
            osDisk: { createOption: "FromImage", deleteOption: "Delete", managedDisk: { storageAccountType: "StandardSSD_LRS" } },
            dataDisks: [{ lun: 0, createOption: "Attach", managedDisk: { id: f.copyId } }],
          },
          // No public IP: the rescue VM is reached through its extension only. The password is
          // random and never stored.
          osProfile: { computerName: `rescue${randomBytes(3).toString("hex")}`, adminUsername: "rdpguardrescue", adminPassword: `Rg!${randomBytes(18).toString("base64url")}9a`, windowsConfiguration: { provisionVMAgent: true } },
          networkProfile: {
            networkApiVersion: "2020-11-01",
            networkInterfaceConfigurations: [{ name: `${f.rescueVmName}-nic`, primary: true, deleteOption: "Delete", ipConfigurations: [{ name: "ipconfig1", subnet: { id: f.subnetId } }] }],
          },
          tags: { "azure-rdp-guard-rescue-for": vm.id },
        };
        await c.createVm(sub, rg, f.rescueVmName!, vmSpec);
        return `created ${f.rescueVmName} with ${f.copyName} as data disk`;
      }
      case "offline-script": {
        const script = renderOfflineScript(this.o.baseline ?? {});
        await c.putExtension(sub, rg, f.rescueVmName!, "azure-rdp-guard-offline", {
          location: f.location!, publisher: "Microsoft.Compute", typePropertiesType: "CustomScriptExtension", typeHandlerVersion: "1.10",
          autoUpgradeMinorVersion: true, forceUpdateTag: this.plan.id, protectedSettings: { commandToExecute: encodeHardeningCommand(script) },
        });
        const view = await c.instanceView(sub, rg, f.rescueVmName!);
        const ext = view.extensions?.find((e) => e.name === "azure-rdp-guard-offline");
        const stdout = ext?.substatuses?.find((s) => /stdout/i.test(s.code ?? ""))?.message ?? "";
        let report: { failed?: number; results?: { id: string; result: string; message?: string }[]; osVolume?: string; controlSets?: string[] };
        try {
          report = JSON.parse(stdout.trim().split(/\r?\n/).pop() ?? "");
        } catch {
          throw new RepairError(name, step, `no report from the offline script (extension ${ext?.statuses?.[0]?.code ?? "missing"})`);
        }
        if ((report.failed ?? 1) > 0) {
          const why = report.results?.filter((r) => r.result === "failed").map((r) => `${r.id}: ${r.message}`).join("; ");
          throw new RepairError(name, step, `offline script failed: ${why || "see the extension output"}`);
        }
        return `repaired ${report.osVolume} (${(report.controlSets ?? []).join(", ")})`;
      }
      case "detach-copy": {
        const rescue = await c.getVm(sub, rg, f.rescueVmName!);
        if (rescue && (rescue.storageProfile?.dataDisks ?? []).length > 0) await c.updateVm(sub, rg, f.rescueVmName!, { storageProfile: { dataDisks: [] } });
        return `detached ${f.copyName} from ${f.rescueVmName}`;
      }
      case "deallocate": {
        await c.deallocate(sub, rg, name);
        return "deallocated";
      }
      case "swap": {
        const model = await c.getVm(sub, rg, name);
        if (model?.storageProfile?.osDisk?.managedDisk?.id?.toLowerCase() !== f.copyId!.toLowerCase()) {
          await c.updateVm(sub, rg, name, { storageProfile: { osDisk: { createOption: "Attach", name: f.copyName, managedDisk: { id: f.copyId } } } });
        }
        return `OS disk is now ${f.copyName} (original ${f.osDiskName} kept)`;
      }
      case "start": {
        await c.start(sub, rg, name);
        return "started";
      }
      case "verify": {
        const attempts = this.o.verifyAttempts ?? 30;
        for (let i = 0; i < attempts; i++) {
          const view = await c.instanceView(sub, rg, name);
          const agent = agentState(view);
          if (agent.ready) {
            // The hardening extension (if the VM has one) reports again once the agent runs it.
            const h = hardeningState(view, "azure-rdp-guard");
            const report = h.present ? `; hardening report: ${h.notOk.length === 0 && h.failed === 0 ? "all ok" : h.notOk.join(", ") || `${h.failed} failed`}` : "";
            return `VM agent ready (${agent.status})${report}`;
          }
          await this.sleep(this.o.verifyDelayMs ?? 20_000);
        }
        throw new RepairError(name, step, `VM agent not ready after the swap; \`rdp-guard rollback ${name}\` restores ${f.osDiskName}`);
      }
      case "cleanup": {
        if (await c.getVm(sub, rg, f.rescueVmName!)) await c.deleteVm(sub, rg, f.rescueVmName!);
        return `deleted ${f.rescueVmName}; kept ${f.snapshotName}, ${f.osDiskName}`;
      }
    }
  }
}

/** Swaps the original OS disk back (deallocate, swap, start); deletes nothing. */
export async function rollbackVm(cloud: RepairCloud, vm: VmJournal, journal: RepairJournal, journalFile: string): Promise<string> {
  const f = vm.facts;
  if (!f.osDiskId || !f.osDiskName) throw new RepairError(vm.name, "swap", "the journal has no original OS disk for this VM: nothing to roll back");
  await cloud.deallocate(vm.subscriptionId, vm.resourceGroup, vm.name);
  await cloud.updateVm(vm.subscriptionId, vm.resourceGroup, vm.name, { storageProfile: { osDisk: { createOption: "Attach", name: f.osDiskName, managedDisk: { id: f.osDiskId } } } });
  await cloud.start(vm.subscriptionId, vm.resourceGroup, vm.name);
  vm.status = "rolled-back";
  await saveJournal(journalFile, journal);
  return `${vm.name}: OS disk swapped back to ${f.osDiskName}; repaired copy ${f.copyName} and snapshot ${f.snapshotName} kept`;
}

export type { VirtualMachine };
