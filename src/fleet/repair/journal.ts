import { promises as fs } from "node:fs";
import * as path from "node:path";
import { InputError } from "../../errors";

export const REPAIR_STEPS = [
  "inspect",
  "snapshot",
  "disk-copy",
  "rescue-vm",
  "offline-script",
  "detach-copy",
  "pre-swap-check",
  "deallocate",
  "swap",
  "start",
  "verify",
  "cleanup",
] as const;
export type RepairStep = (typeof REPAIR_STEPS)[number];

export interface StepRecord {
  readonly status: "running" | "done" | "failed";
  readonly at: string;
  readonly detail?: string;
}

/** What the workflow learns about a VM; written once, reused on resume and by rollback. */
export interface RepairFacts {
  osDiskId?: string;
  osDiskName?: string;
  /** The OS disk's createOption, kept as it is in the swap PATCH (it cannot change). */
  osCreateOption?: string;
  diskEncryptionSetId?: string;
  nicIds?: string[];
  /** Short hash of the VM id and plan id: every per-VM resource name carries it. */
  nameHash?: string;
  /** Our tag value on every resource we create; reuse and delete require it. */
  tag?: string;
  rescueImageSku?: string;
  rescueVmId?: string;
  /** Offline-script runs so far; each gets its own forceUpdateTag. */
  scriptAttempts?: number;
  /** The disk id the offline script's report names (checked against copyId, LUN and attempt when it ran). */
  repairedDiskId?: string;
  location?: string;
  zones?: string[];
  subnetId?: string;
  hyperVGeneration?: string;
  securityType?: string;
  diskSku?: string;
  snapshotName?: string;
  snapshotId?: string;
  copyName?: string;
  copyId?: string;
  rescueVmName?: string;
}

export interface VmJournal {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  status: "pending" | "in-progress" | "done" | "failed" | "rolled-back";
  facts: RepairFacts;
  steps: Partial<Record<RepairStep, StepRecord>>;
  error?: string;
}

export interface RepairJournal {
  readonly version: 2;
  readonly kind: "rdp-guard-repair-journal";
  readonly planId: string;
  /** sha256 of the plan's offline-repair VM list: a journal steers only the plan it was written for. */
  readonly vmListHash: string;
  readonly createdAt: string;
  vms: Record<string, VmJournal>;
}

export async function loadJournal(file: string): Promise<RepairJournal | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new InputError(`${file}: cannot read journal: ${(e as Error).message}`);
  }
  let v: RepairJournal;
  try {
    v = JSON.parse(text) as RepairJournal;
  } catch {
    throw new InputError(`${file}: journal is not valid JSON; it was not changed (move it aside to start over)`);
  }
  if (v?.kind !== "rdp-guard-repair-journal") throw new InputError(`${file}: not an rdp-guard repair journal`);
  if (v.version !== 2)
    throw new InputError(
      `${file}: repair journal format ${String(v.version)} is not supported: finish it with the version that ` +
        `wrote it, or move it aside`,
    );
  if (typeof v.planId !== "string" || typeof v.vmListHash !== "string" || !v.vms || typeof v.vms !== "object") {
    throw new InputError(`${file}: repair journal lacks planId, vmListHash or vms`);
  }
  for (const [key, vm] of Object.entries(v.vms)) {
    if (
      vm?.id !== key ||
      typeof vm.name !== "string" ||
      typeof vm.subscriptionId !== "string" ||
      typeof vm.resourceGroup !== "string"
    ) {
      throw new InputError(`${file}: journal entry '${key}' is inconsistent (id, name, subscription, resource group)`);
    }
  }
  return v;
}

/** Atomic write (temp file + rename): a crash never leaves half a journal. */
export async function saveJournal(file: string, j: RepairJournal): Promise<void> {
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  await fs.writeFile(tmp, JSON.stringify(j, null, 2) + "\n", "utf8");
  await fs.rename(tmp, file);
}
