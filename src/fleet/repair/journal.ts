import { promises as fs } from "node:fs";
import * as path from "node:path";
import { InputError } from "../../formats/json-source";

export const REPAIR_STEPS = [
  "inspect", "snapshot", "disk-copy", "rescue-vm", "offline-script", "detach-copy", "deallocate", "swap", "start", "verify", "cleanup",
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
  readonly version: 1;
  readonly kind: "rdp-guard-repair-journal";
  readonly planId: string;
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
  if (v?.kind !== "rdp-guard-repair-journal" || v.version !== 1) throw new InputError(`${file}: not an rdp-guard repair journal`);
  return v;
}

/** Atomic write (temp file + rename): a crash never leaves half a journal. */
export async function saveJournal(file: string, j: RepairJournal): Promise<void> {
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  await fs.writeFile(tmp, JSON.stringify(j, null, 2) + "\n", "utf8");
  await fs.rename(tmp, file);
}
