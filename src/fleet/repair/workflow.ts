import { createHash, randomBytes } from "node:crypto";
import type { Disk, VirtualMachine } from "@azure/arm-compute";
import { encodeHardeningCommand } from "../../baseline/encode";
import { HardeningOptions } from "../../baseline/options";
import { offlineForceUpdateTag, renderOfflineScript } from "../../baseline/render-offline";
import { LocksUnreadableError } from "../../azure/locks";
import { InputError, RepairError } from "../../errors";
import { extensionNameOrDefault } from "../../vm/extension-name";
import { isWindowsVm } from "../../vm/windows";
import { agentState, hardeningState } from "../instance-view";
import { RemediationPlan } from "../plan";
import { RepairCloud, parseResourceId } from "./cloud";
import { REPAIR_STEPS, RepairFacts, RepairJournal, RepairStep, VmJournal, saveJournal } from "./journal";

export interface RepairOptions {
  readonly journalFile: string;
  readonly baseline?: HardeningOptions;
  readonly rescueVmSize?: string;
  /** Looks up a NIC's subnet (Resource Graph); the rescue VM joins the broken VM's subnet. */
  readonly nicSubnet: (nicId: string) => Promise<string | undefined>;
  /** Name of the hardening extension whose report the verify step reads (`--extension-name`). */
  readonly extensionName?: string;
  readonly log?: (line: string) => void;
  /** Agent checks after start: attempts and delay. */
  readonly verifyAttempts?: number;
  readonly verifyDelayMs?: number;
  /** Test hook: called after a step's cloud work, before the journal records it as done. */
  readonly beforeRecord?: (vmId: string, step: RepairStep) => void | Promise<void>;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The tag on every resource the repair creates; its value binds the resource to one plan and VM. */
export const REPAIR_TAG = "azure-rdp-guard-repair";

const sleepReal = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const short = (s: string, n: number): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "")
    .slice(0, n);
const lc = (s: string | undefined): string => (s ?? "").toLowerCase();
const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

/** The customer-managed-key encryption the snapshot and the copy carry over from the OS disk, if any. */
function cmkEncryption(f: RepairFacts): Pick<Disk, "encryption"> {
  return f.diskEncryptionSetId
    ? { encryption: { type: "EncryptionAtRestWithCustomerKey", diskEncryptionSetId: f.diskEncryptionSetId } }
    : {};
}

/** A plan id becomes part of file and resource names: letters, digits and dashes only. */
export function checkPlanId(id: unknown): string {
  if (typeof id !== "string" || !/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(id)) {
    throw new InputError(
      `plan id '${String(id)}' is not valid: letters, digits and '-' only (it names the journal file and Azure ` +
        `resources)`,
    );
  }
  return id;
}

function offlineTargets(plan: RemediationPlan) {
  return plan.vms.filter((vm) => !vm.skipped && vm.actions.includes("offline-repair"));
}

/** sha256 over the plan's offline-repair VMs (id, name, subscription, resource group), order-independent. */
export function vmListHash(plan: RemediationPlan): string {
  return sha256(
    offlineTargets(plan)
      .map((v) => [v.id, v.name, v.subscriptionId, v.resourceGroup].map(lc).join("|"))
      .sort()
      .join("\n"),
  );
}

/** A new journal for the plan's offline repairs, or the existing one when resuming; both are checked. */
export function initJournal(
  plan: RemediationPlan,
  existing: RepairJournal | undefined,
  now = new Date(),
): RepairJournal {
  checkPlanId(plan.id);
  const targets = offlineTargets(plan);
  for (const vm of targets) {
    // A plan whose VM id disagrees with its name, subscription or group must not steer anything.
    const p = parseResourceId(vm.id);
    if (
      !p ||
      !/^Microsoft\.Compute\/virtualMachines$/i.test(p.type) ||
      lc(p.sub) !== lc(vm.subscriptionId) ||
      lc(p.rg) !== lc(vm.resourceGroup) ||
      lc(p.name) !== lc(vm.name)
    ) {
      throw new InputError(
        `plan ${plan.id}: VM '${vm.name}' has id '${vm.id}', which does not match its name, subscription and ` +
          `resource group`,
      );
    }
  }
  const hash = vmListHash(plan);
  if (existing) {
    if (existing.planId !== plan.id) {
      throw new InputError(
        `the journal belongs to plan ${existing.planId}, not ${plan.id}: finish that plan, or move the journal aside`,
      );
    }
    if (existing.vmListHash !== hash) {
      throw new InputError(
        `the journal was written for another VM list than plan ${plan.id} has now: was the plan edited? Move the ` +
          `journal aside to start over`,
      );
    }
    const planned = new Set(targets.map((t) => lc(t.id)));
    for (const vm of Object.values(existing.vms)) {
      if (!planned.has(lc(vm.id)))
        throw new InputError(
          `the journal names VM '${vm.name}', which plan ${plan.id} does not plan for offline repair`,
        );
    }
  }
  const j: RepairJournal = existing ?? {
    version: 2,
    kind: "rdp-guard-repair-journal",
    planId: plan.id,
    vmListHash: hash,
    createdAt: now.toISOString(),
    vms: {},
  };
  for (const vm of targets) {
    j.vms[vm.id] ??= {
      id: vm.id,
      name: vm.name,
      subscriptionId: vm.subscriptionId,
      resourceGroup: vm.resourceGroup,
      status: "pending",
      facts: {},
      steps: {},
    };
  }
  return j;
}

/** Rescue images: a platform image whose disk signature differs from the broken disk's (see pickRescueSku). */
const RESCUE_SKUS = ["2022-datacenter-azure-edition", "2019-datacenter-gensecond"];

/**
 * The rescue VM must not come from the same image as the broken disk, or Windows sees two disks with one
 * signature and keeps the copy offline. az vm repair avoids the source image version for the same reason
 * (`_fetch_compatible_windows_os_urn`, "temp fix to mitigate Windows disk signature collision error").
 */
export function pickRescueSku(source: { publisher?: string; offer?: string; sku?: string } | undefined): string {
  const same = (s: string) =>
    lc(source?.publisher) === "microsoftwindowsserver" &&
    lc(source?.offer) === "windowsserver" &&
    lc(source?.sku) === s;
  return RESCUE_SKUS.find((s) => !same(s))!;
}

interface Ctx {
  readonly vm: VmJournal;
  readonly f: RepairFacts;
  readonly sub: string;
  readonly rg: string;
  readonly name: string;
  fail(message: string): never;
}

/**
 * The runbook's offline repair as an ordered, resumable workflow per VM: a table of step functions, one per
 * journal step. Every step first checks what already exists, so a run interrupted anywhere finishes without
 * duplicates. Everything that could stop the swap is checked before the VM is deallocated. Nothing is
 * deleted except the rescue VM (ours by tag and recorded id), and only after the swap succeeded; the
 * snapshot, the original OS disk and the repaired copy are kept (`rdp-guard rollback` swaps back).
 */
export class RepairWorkflow {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly steps: { readonly [S in RepairStep]: (c: Ctx) => Promise<string> };

  constructor(
    private readonly cloud: RepairCloud,
    private readonly journal: RepairJournal,
    private readonly plan: RemediationPlan,
    private readonly o: RepairOptions,
  ) {
    this.sleep = o.sleep ?? sleepReal;
    this.steps = {
      inspect: (c) => this.inspect(c),
      snapshot: (c) => this.snapshot(c),
      "disk-copy": (c) => this.diskCopy(c),
      "rescue-vm": (c) => this.rescueVm(c),
      "offline-script": (c) => this.offlineScript(c),
      "detach-copy": (c) => this.detachCopy(c),
      "pre-swap-check": (c) => this.preSwapCheck(c),
      deallocate: async (c) => {
        await this.cloud.deallocate(c.sub, c.rg, c.name);
        return "deallocated";
      },
      swap: (c) => this.swap(c),
      start: async (c) => {
        await this.cloud.start(c.sub, c.rg, c.name);
        return "started";
      },
      verify: (c) => this.verify(c),
      cleanup: (c) => this.cleanup(c),
    };
  }

  private log(s: string): void {
    this.o.log?.(s);
  }

  private async record(
    vm: VmJournal,
    step: RepairStep,
    status: "running" | "done" | "failed",
    detail?: string,
  ): Promise<void> {
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
      const ctx: Ctx = {
        vm,
        f: vm.facts,
        sub: vm.subscriptionId,
        rg: vm.resourceGroup,
        name: vm.name,
        fail: (message: string): never => {
          throw new RepairError(vm.name, step, message);
        },
      };
      let detail: string;
      try {
        detail = await this.steps[step](ctx);
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

  /** Locks on the VM, its disks, its NICs, its resource group and subscription; unreadable stops the repair. */
  private async checkLocks(c: Ctx, extra: string[] = []): Promise<void> {
    const scopes = [c.vm.id, c.f.osDiskId, c.f.copyId, ...(c.f.nicIds ?? []), ...extra].filter((s): s is string => !!s);
    const problem = await lockProblem(this.cloud, scopes);
    if (problem) c.fail(problem);
  }

  /** Pre-flight: everything that would refuse this VM is checked here, before anything changes. */
  private async inspect(c: Ctx): Promise<string> {
    const { f } = c;
    const model = await this.cloud.getVm(c.sub, c.rg, c.name);
    if (!model) c.fail("VM not found");
    if (lc(model.id) !== lc(c.vm.id)) c.fail(`Azure reports id ${model.id}, the plan says ${c.vm.id}`);
    const os = model.storageProfile?.osDisk;
    // The OS disk's type decides (an image publisher alone would call a Linux disk from a Windows image Windows).
    if (!isWindowsVm({ osType: os?.osType, windowsConfiguration: model.osProfile?.windowsConfiguration }))
      c.fail("not a Windows VM: refusing to touch it");
    if (model.securityProfile?.securityType === "ConfidentialVM")
      c.fail("Confidential VM: its OS disk is bound to the VM's guest state and cannot be repaired on a rescue VM");
    if (os?.diffDiskSettings)
      c.fail("ephemeral OS disk: it has no managed disk to repair offline (reimage or redeploy the VM instead)");
    if (os?.vhd || !os?.managedDisk?.id)
      c.fail("unmanaged OS disk (VHD in a storage account): not supported, convert it to managed disks first");
    if (os.encryptionSettings?.enabled)
      c.fail(
        "OS disk encrypted with Azure Disk Encryption (BitLocker): the rescue VM cannot read it without the key " +
          "(see `az vm repair --unlock-encrypted-vm`)",
      );
    const osDiskId = os.managedDisk.id;
    const nicIds = (model.networkProfile?.networkInterfaces ?? []).map((n) => n.id).filter((s): s is string => !!s);
    // On resume the VM may already run on the copy; keep the original facts from the journal.
    if (!f.osDiskId) {
      // Look the OS disk up by its id, in whatever group it lives; a 404 is an error, not a skip.
      const where = parseResourceId(osDiskId);
      if (!where) c.fail(`OS disk id '${osDiskId}' is not a disk resource id`);
      const disk = await this.cloud.getDisk(where.sub, where.rg, where.name);
      if (!disk) c.fail(`OS disk ${osDiskId} not found (404)`);
      if (disk.encryptionSettingsCollection?.enabled)
        c.fail(
          "OS disk encrypted with Azure Disk Encryption (BitLocker): the rescue VM cannot read it without the key",
        );
      if (/^ConfidentialVM/i.test(disk.securityProfile?.securityType ?? ""))
        c.fail("Confidential VM disk: cannot be repaired on a rescue VM");
      const hash = sha256(`${lc(c.vm.id)}|${this.plan.id}`).slice(0, 10);
      Object.assign(f, {
        osDiskId,
        osDiskName: where.name,
        osCreateOption: os.createOption,
        location: model.location,
        zones: model.zones,
        hyperVGeneration: disk.hyperVGeneration,
        securityType: model.securityProfile?.securityType,
        diskSku: disk.sku?.name,
        diskEncryptionSetId: disk.encryption?.diskEncryptionSetId,
        nicIds,
        nameHash: hash,
        tag: `${this.plan.id}/${hash}`,
        rescueImageSku: pickRescueSku(model.storageProfile?.imageReference),
        snapshotName: `${short(c.name, 30)}-rdpguard-${hash}`,
        copyName: `${short(c.name, 30)}-osdisk-rdpguard-${hash}`,
        rescueVmName: `rescue-${hash}`,
      } satisfies Partial<RepairFacts>);
      f.subnetId = nicIds[0] ? await this.o.nicSubnet(nicIds[0]) : undefined;
      if (!f.subnetId) c.fail("cannot find the VM's subnet for the rescue VM");
    }
    await this.checkLocks(c, [`/subscriptions/${c.sub}/resourceGroups/${c.rg}`]);
    const extras = [
      f.diskEncryptionSetId ? "customer-managed key" : "",
      f.zones?.length ? `zone ${f.zones.join(",")}` : "",
    ].filter(Boolean);
    return (
      `OS disk ${f.osDiskName} (${f.hyperVGeneration ?? "V1"}, ` +
      `${f.securityType ?? "Standard"}${extras.length ? `, ${extras.join(", ")}` : ""})`
    );
  }

  /** An existing resource of ours: our tag, and the id we recorded when we created it. */
  private ours(
    c: Ctx,
    kind: string,
    r: { id?: string; tags?: Record<string, string> },
    recordedId: string | undefined,
  ): void {
    if (r.tags?.[REPAIR_TAG] !== c.f.tag || (recordedId && lc(recordedId) !== lc(r.id))) {
      c.fail(
        `${kind} ${r.id} exists but was not created by this repair (tag ${REPAIR_TAG}=${c.f.tag} missing or ` +
          `another id): refusing to reuse it`,
      );
    }
  }

  private tags(c: Ctx): Record<string, string> {
    return { [REPAIR_TAG]: c.f.tag!, "azure-rdp-guard-repair-of": c.vm.id };
  }

  /** Our resource of that name when it exists (tag and recorded id checked, never someone else's), else a new one. */
  private async reuseOrCreate<T extends { id?: string; tags?: Record<string, string> }>(
    c: Ctx,
    kind: string,
    recordedId: string | undefined,
    get: () => Promise<T | undefined>,
    create: () => Promise<T>,
  ): Promise<{ resource: T; verb: "reused" | "created" }> {
    const existing = await get();
    if (existing) {
      this.ours(c, kind, existing, recordedId);
      return { resource: existing, verb: "reused" };
    }
    return { resource: await create(), verb: "created" };
  }

  private async snapshot(c: Ctx): Promise<string> {
    const { f } = c;
    const { resource, verb } = await this.reuseOrCreate(
      c,
      "snapshot",
      f.snapshotId,
      () => this.cloud.getSnapshot(c.sub, c.rg, f.snapshotName!),
      () =>
        this.cloud.createSnapshot(c.sub, c.rg, f.snapshotName!, {
          location: f.location!,
          incremental: true,
          creationData: { createOption: "Copy", sourceResourceId: f.osDiskId },
          ...cmkEncryption(f),
          tags: this.tags(c),
        }),
    );
    f.snapshotId = resource.id;
    return `${verb} ${f.snapshotName}`;
  }

  private async diskCopy(c: Ctx): Promise<string> {
    const { f } = c;
    // The copy keeps what the swap needs to match: generation, security type, zone and SKU (ZRS), and
    // the customer-managed key.
    const { resource, verb } = await this.reuseOrCreate(
      c,
      "disk",
      f.copyId,
      () => this.cloud.getDisk(c.sub, c.rg, f.copyName!),
      () =>
        this.cloud.createDisk(c.sub, c.rg, f.copyName!, {
          location: f.location!,
          zones: f.zones,
          sku: f.diskSku ? { name: f.diskSku as never } : undefined,
          hyperVGeneration: f.hyperVGeneration as never,
          ...(f.securityType === "TrustedLaunch" ? { securityProfile: { securityType: "TrustedLaunch" } } : {}),
          ...cmkEncryption(f),
          creationData: { createOption: "Copy", sourceResourceId: f.snapshotId },
          tags: this.tags(c),
        }),
    );
    f.copyId = resource.id;
    return `${verb} ${f.copyName}`;
  }

  private async rescueVm(c: Ctx): Promise<string> {
    const { f } = c;
    const existing = await this.cloud.getVm(c.sub, c.rg, f.rescueVmName!);
    if (existing) {
      this.ours(c, "rescue VM", existing, f.rescueVmId);
      f.rescueVmId = existing.id;
      return `reused ${f.rescueVmName}`;
    }
    const vmSpec: VirtualMachine = {
      location: f.location!,
      zones: f.zones,
      hardwareProfile: { vmSize: (this.o.rescueVmSize ?? "Standard_D2s_v5") as never },
      storageProfile: {
        imageReference: {
          publisher: "MicrosoftWindowsServer",
          offer: "WindowsServer",
          sku: f.rescueImageSku ?? RESCUE_SKUS[0],
          version: "latest",
        },
        osDisk: {
          createOption: "FromImage",
          deleteOption: "Delete",
          managedDisk: { storageAccountType: "StandardSSD_LRS" },
        },
        dataDisks: [{ lun: 0, createOption: "Attach", managedDisk: { id: f.copyId } }],
      },
      // No public IP: the rescue VM is reached through its extension only. The password is random and never stored.
      osProfile: {
        computerName: `rescue${randomBytes(3).toString("hex")}`,
        adminUsername: "rdpguardrescue",
        adminPassword: `Rg!${randomBytes(18).toString("base64url")}9a`,
        windowsConfiguration: { provisionVMAgent: true },
      },
      networkProfile: {
        networkApiVersion: "2020-11-01",
        networkInterfaceConfigurations: [
          {
            name: `${f.rescueVmName}-nic`,
            primary: true,
            deleteOption: "Delete",
            ipConfigurations: [{ name: "ipconfig1", subnet: { id: f.subnetId } }],
          },
        ],
      },
      tags: this.tags(c),
    };
    const created = await this.cloud.createVm(c.sub, c.rg, f.rescueVmName!, vmSpec);
    f.rescueVmId = created.id;
    return `created ${f.rescueVmName} (${f.rescueImageSku}) with ${f.copyName} as data disk`;
  }

  private async offlineScript(c: Ctx): Promise<string> {
    const { f } = c;
    const rescue = await this.cloud.getVm(c.sub, c.rg, f.rescueVmName!);
    if (!rescue) c.fail(`rescue VM ${f.rescueVmName} is gone`);
    this.ours(c, "rescue VM", rescue, f.rescueVmId);
    // The script repairs whatever Windows volume is attached: only our copy may be.
    const data = (rescue.storageProfile?.dataDisks ?? []).map((d) => d.managedDisk?.id);
    if (data.length !== 1 || lc(data[0]) !== lc(f.copyId)) {
      c.fail(`rescue VM ${f.rescueVmName} has data disks [${data.join(", ")}], expected only ${f.copyId}`);
    }
    // The script works only on the disk at the LUN where ARM shows our copy, and echoes the copy's id.
    const lun = copyLun(rescue, f.copyId);
    if (lun === undefined) c.fail(`rescue VM ${f.rescueVmName} shows ${f.copyId} at no LUN`);
    // Each attempt gets its own forceUpdateTag: the same settings and tag would not run the script again.
    f.scriptAttempts = (f.scriptAttempts ?? 0) + 1;
    const attempt = String(f.scriptAttempts);
    // The attempt also names the report and the backup folder on the repaired disk.
    const script = renderOfflineScript(this.o.baseline ?? {}, { attempt, diskLun: lun, diskId: f.copyId });
    let extError: string | undefined;
    try {
      await this.cloud.putExtension(c.sub, c.rg, f.rescueVmName!, "azure-rdp-guard-offline", {
        location: f.location!,
        publisher: "Microsoft.Compute",
        typePropertiesType: "CustomScriptExtension",
        typeHandlerVersion: "1.10",
        autoUpgradeMinorVersion: true,
        forceUpdateTag: offlineForceUpdateTag(this.plan.id, f.scriptAttempts),
        protectedSettings: { commandToExecute: encodeHardeningCommand(script) },
      });
    } catch (e) {
      extError = (e as Error).message; // a non-zero exit fails the extension; its report says why
    }
    const view = await this.cloud.instanceView(c.sub, c.rg, f.rescueVmName!);
    const ext = view.extensions?.find((e) => e.name === "azure-rdp-guard-offline");
    const stdout = ext?.substatuses?.find((s) => /stdout/i.test(s.code ?? ""))?.message ?? "";
    let report: {
      failed?: number;
      results?: { id: string; result: string; message?: string }[];
      osVolume?: string;
      controlSets?: string[];
      diskId?: string;
      lun?: number | null;
      attempt?: string;
    };
    try {
      report = JSON.parse(stdout.trim().split(/\r?\n/).pop() ?? "");
    } catch {
      c.fail(
        `no report from the offline script (extension ` +
          `${ext?.statuses?.[0]?.code ?? "missing"}${extError ? `: ${extError}` : ""})`,
      );
    }
    if ((report.failed ?? 1) > 0 || extError) {
      const why = report.results
        ?.filter((r) => r.result === "failed")
        .map((r) => `${r.id}: ${r.message}`)
        .join("; ");
      c.fail(`offline script failed: ${why || extError || "see the extension output"}`);
    }
    // Bind the report to this run and our copy: its attempt, the disk id it was given, and the LUN it found,
    // which must be where ARM (read again now) shows our copy. Otherwise the swap would trust another disk's repair.
    if (report.attempt !== attempt)
      c.fail(`the offline script's report is from attempt ${report.attempt ?? "(none)"}, not the current ${attempt}`);
    if (lc(report.diskId) !== lc(f.copyId))
      c.fail(`the offline script reports on disk ${report.diskId || "(none)"}, not our copy ${f.copyId}`);
    const now = await this.cloud.getVm(c.sub, c.rg, f.rescueVmName!);
    const armLun = now ? copyLun(now, f.copyId) : undefined;
    if (armLun === undefined || report.lun !== armLun)
      c.fail(
        `the offline script repaired the disk at LUN ${report.lun ?? "(none)"}, but ARM shows our copy at LUN ` +
          `${armLun ?? "(none)"} of ${f.rescueVmName}`,
      );
    f.repairedDiskId = report.diskId;
    return `repaired ${report.osVolume} (${(report.controlSets ?? []).join(", ")}) on ${f.copyName}`;
  }

  private async detachCopy(c: Ctx): Promise<string> {
    const { f } = c;
    const rescue = await this.cloud.getVm(c.sub, c.rg, f.rescueVmName!);
    if (rescue && (rescue.storageProfile?.dataDisks ?? []).length > 0) {
      this.ours(c, "rescue VM", rescue, f.rescueVmId);
      await this.cloud.updateVm(c.sub, c.rg, f.rescueVmName!, { storageProfile: { dataDisks: [] } });
    }
    // Confirm with a GET: the copy must be free before the broken VM is deallocated.
    const copy = await this.cloud.getDisk(c.sub, c.rg, f.copyName!);
    if (!copy) c.fail(`repaired copy ${f.copyName} not found`);
    if (copy.managedBy) c.fail(`repaired copy ${f.copyName} is still attached to ${copy.managedBy}`);
    return `detached ${f.copyName} from ${f.rescueVmName} (disk state ${copy.diskState ?? "unknown"})`;
  }

  /** Everything the swap needs, checked while the VM still runs. */
  private async preSwapCheck(c: Ctx): Promise<string> {
    const { f } = c;
    const model = await this.cloud.getVm(c.sub, c.rg, c.name);
    if (!model) c.fail("VM not found");
    const current = model.storageProfile?.osDisk?.managedDisk?.id;
    if (lc(current) !== lc(f.osDiskId) && lc(current) !== lc(f.copyId))
      c.fail(`the VM's OS disk is now ${current}, neither the original nor our copy: someone else changed it`);
    if (lc(f.repairedDiskId) !== lc(f.copyId))
      c.fail(
        `the disk to swap in (${f.copyId}) is not the one the offline script repaired (${f.repairedDiskId ?? "none"})`,
      );
    const copy = await this.cloud.getDisk(c.sub, c.rg, f.copyName!);
    if (!copy) c.fail(`repaired copy ${f.copyName} not found`);
    this.ours(c, "disk", copy, f.copyId);
    if (copy.managedBy && lc(copy.managedBy) !== lc(c.vm.id)) c.fail(`repaired copy is attached to ${copy.managedBy}`);
    if (copy.osType !== undefined && !isWindowsVm({ osType: copy.osType }))
      c.fail(`repaired copy has osType ${copy.osType}`);
    if ((copy.hyperVGeneration ?? "V1") !== (f.hyperVGeneration ?? "V1"))
      c.fail(`repaired copy is generation ${copy.hyperVGeneration}, the VM needs ${f.hyperVGeneration}`);
    if (f.securityType === "TrustedLaunch" && copy.securityProfile?.securityType !== "TrustedLaunch")
      c.fail("repaired copy is not a Trusted Launch disk");
    if ((f.zones ?? []).join() !== (copy.zones ?? []).join())
      c.fail(`repaired copy is in zone ${copy.zones?.join(",") || "none"}, the VM in ${f.zones?.join(",")}`);
    if (lc(model.storageProfile?.osDisk?.createOption) !== lc(f.osCreateOption))
      c.fail(`the OS disk's createOption changed to ${model.storageProfile?.osDisk?.createOption}`);
    await this.checkLocks(c, [`/subscriptions/${c.sub}/resourceGroups/${c.rg}`]);
    return `${f.copyName} is free, ours, ${copy.hyperVGeneration ?? "V1"}; no locks`;
  }

  private async swap(c: Ctx): Promise<string> {
    const { f } = c;
    const model = await this.cloud.getVm(c.sub, c.rg, c.name);
    if (lc(model?.storageProfile?.osDisk?.managedDisk?.id) !== lc(f.copyId)) {
      await this.cloud.updateVm(c.sub, c.rg, c.name, {
        storageProfile: {
          osDisk: osDiskSwap(model?.storageProfile?.osDisk?.createOption ?? f.osCreateOption, f.copyName!, f.copyId!),
        },
      });
    }
    return `OS disk is now ${f.copyName} (original ${f.osDiskName} kept)`;
  }

  private async verify(c: Ctx): Promise<string> {
    const attempts = this.o.verifyAttempts ?? 30;
    const extName = extensionNameOrDefault(this.o.extensionName);
    for (let i = 0; i < attempts; i++) {
      const view = await this.cloud.instanceView(c.sub, c.rg, c.name);
      const agent = agentState(view);
      if (agent.ready) {
        // The hardening extension (if the VM has one) reports again once the agent runs it.
        const h = hardeningState(view, extName);
        const result = h.notOk.length === 0 && h.failed === 0 ? "all ok" : h.notOk.join(", ") || `${h.failed} failed`;
        const report = h.present ? `; ${extName} report: ${result}` : "";
        return `VM agent ready (${agent.status})${report}`;
      }
      await this.sleep(this.o.verifyDelayMs ?? 20_000);
    }
    c.fail(`VM agent not ready after the swap; \`rdp-guard rollback ${c.name}\` restores ${c.f.osDiskName}`);
  }

  private async cleanup(c: Ctx): Promise<string> {
    const { f } = c;
    const rescue = await this.cloud.getVm(c.sub, c.rg, f.rescueVmName!);
    if (rescue) {
      // Only the rescue VM we created: our tag and the id recorded at creation.
      this.ours(c, "rescue VM", rescue, f.rescueVmId ?? "(not recorded)");
      await this.cloud.deleteVm(c.sub, c.rg, f.rescueVmName!);
    }
    return `deleted ${f.rescueVmName}; kept ${f.snapshotName}, ${f.osDiskName}`;
  }
}

/** The LUN at which a VM's model shows this managed disk among its data disks. */
function copyLun(vm: VirtualMachine, diskId: string | undefined): number | undefined {
  return (vm.storageProfile?.dataDisks ?? []).find((d) => lc(d.managedDisk?.id) === lc(diskId))?.lun;
}

/**
 * Why a lock stops the repair, or undefined when no lock covers `scopes`. Locks that cannot be read stop it
 * too (LocksUnreadableError says why and what to grant): a lock is never assumed absent.
 */
async function lockProblem(cloud: RepairCloud, scopes: readonly string[]): Promise<string | undefined> {
  let locks;
  try {
    locks = await cloud.listLocks(scopes);
  } catch (e) {
    if (e instanceof LocksUnreadableError) return e.message;
    return `cannot read management locks (${(e as Error).message}): stopping, a lock is never assumed absent`;
  }
  if (locks.length === 0) return undefined;
  const named = locks.map((l) => `${l.name} (${l.level}) on ${l.scope}`).join(", ");
  return `under management lock ${named}: refusing to touch it`;
}

/**
 * The OS-disk swap PATCH changes only managedDisk.id and name, as `az vm update --os-disk` does. createOption
 * is sent unchanged because the definition requires it (OSDisk.required in computeRPCommon.json) and Azure
 * answers 409 to any change of it (azure-sdk-for-net#37285, azure-sdk-for-python#3001, azure-powershell#7621).
 */
export function osDiskSwap(createOption: string | undefined, name: string, id: string) {
  return { createOption: (createOption ?? "FromImage") as never, name, managedDisk: { id } };
}

/**
 * Swaps the original OS disk back (checks, deallocate, swap, start); deletes nothing. It attaches only the
 * disk the journal recorded as the VM's original, and only when our tagged snapshot was taken from it and the
 * VM runs on our tagged copy, so an edited journal cannot attach a foreign disk.
 */
export async function rollbackVm(
  cloud: RepairCloud,
  vm: VmJournal,
  journal: RepairJournal,
  journalFile: string,
): Promise<string> {
  const f = vm.facts;
  const fail = (m: string): never => {
    throw new RepairError(vm.name, "swap", m);
  };
  if (!f.osDiskId || !f.osDiskName || !f.copyId || !f.snapshotName || !f.tag)
    fail("the journal has no original OS disk and copy for this VM: nothing to roll back");
  const sub = vm.subscriptionId;
  const rg = vm.resourceGroup;
  const model = await cloud.getVm(sub, rg, vm.name);
  if (!model) fail("VM not found");
  if (lc(model!.id) !== lc(vm.id)) fail(`Azure reports id ${model!.id}, the journal says ${vm.id}`);
  const current = model!.storageProfile?.osDisk?.managedDisk?.id;
  if (lc(current) === lc(f.osDiskId)) return `${vm.name}: already runs on ${f.osDiskName}; nothing to do`;
  if (lc(current) !== lc(f.copyId)) fail(`the VM runs on ${current}, not on our copy ${f.copyId}: not rolling back`);
  const copy = await cloud.getDisk(sub, rg, f.copyName ?? "");
  if (copy?.tags?.[REPAIR_TAG] !== f.tag || lc(copy?.id) !== lc(f.copyId))
    fail(`${f.copyId} does not carry our tag: not rolling back`);
  const snap = await cloud.getSnapshot(sub, rg, f.snapshotName!);
  if (snap?.tags?.[REPAIR_TAG] !== f.tag || lc(snap?.creationData?.sourceResourceId) !== lc(f.osDiskId)) {
    fail(
      `our snapshot ${f.snapshotName} was not taken from ${f.osDiskId}: refusing to attach a disk the repair did ` +
        `not record`,
    );
  }
  const where = parseResourceId(f.osDiskId!);
  const original = where ? await cloud.getDisk(where.sub, where.rg, where.name) : undefined;
  if (!original) fail(`original OS disk ${f.osDiskId} not found`);
  if (original!.managedBy) fail(`original OS disk is attached to ${original!.managedBy}`);
  const rgId = `/subscriptions/${sub}/resourceGroups/${rg}`;
  const problem = await lockProblem(cloud, [vm.id, f.osDiskId!, f.copyId!, rgId]);
  if (problem) fail(problem);
  await cloud.deallocate(sub, rg, vm.name);
  await cloud.updateVm(sub, rg, vm.name, {
    storageProfile: { osDisk: osDiskSwap(model!.storageProfile?.osDisk?.createOption, f.osDiskName!, f.osDiskId!) },
  });
  await cloud.start(sub, rg, vm.name);
  vm.status = "rolled-back";
  await saveJournal(journalFile, journal);
  return (
    `${vm.name}: OS disk swapped back to ${f.osDiskName}; repaired copy ${f.copyName} and snapshot ` +
    `${f.snapshotName} kept`
  );
}

export type { VirtualMachine };
