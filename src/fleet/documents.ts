import { promises as fs } from "node:fs";
import { parseJsonText } from "../formats/json-source";
import { InputError } from "../errors";
import { AuditDocument } from "./audit";
import { RemediationPlan } from "./plan";

/** Reads a JSON document of the given kind, rejecting anything else or anything too old. */
async function readDocument(
  file: string,
  kind: string,
  stampField: "generatedAt" | "createdAt",
  maxAgeHours: number,
  now: Date,
): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    throw new InputError(
      `${file}: cannot read: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
  const v = parseJsonText(file, text).value as Record<string, unknown>;
  if (typeof v !== "object" || v === null || v.kind !== kind)
    throw new InputError(
      `${file}: not an ${kind} file (kind is ${JSON.stringify((v as { kind?: unknown } | null)?.kind)})`,
    );
  if (v.version !== 1)
    throw new InputError(
      `${file}: unsupported ${kind} version ${JSON.stringify(v.version)} (this rdp-guard reads version 1)`,
    );
  const stamp = Date.parse(String(v[stampField]));
  if (!Number.isFinite(stamp)) throw new InputError(`${file}: ${stampField} is missing or not a date`);
  const ageHours = (now.getTime() - stamp) / 3_600_000;
  if (ageHours > maxAgeHours)
    throw new InputError(
      `${file}: stale: ${stampField} ${new Date(stamp).toISOString()} is ${ageHours.toFixed(1)} h old ` +
        `(limit ${maxAgeHours} h); audit again`,
    );
  if (ageHours < -0.1) throw new InputError(`${file}: ${stampField} ${new Date(stamp).toISOString()} is in the future`);
  return v;
}

export async function loadAudit(file: string, maxAgeHours: number, now = new Date()): Promise<AuditDocument> {
  const v = await readDocument(file, "rdp-guard-audit", "generatedAt", maxAgeHours, now);
  if (!Array.isArray(v.vms) || !Array.isArray(v.nsgs)) throw new InputError(`${file}: audit has no vms/nsgs lists`);
  return v as unknown as AuditDocument;
}

export async function loadPlan(file: string, maxAgeHours: number, now = new Date()): Promise<RemediationPlan> {
  const v = await readDocument(file, "rdp-guard-plan", "createdAt", maxAgeHours, now);
  if (!Array.isArray(v.vms) || !Array.isArray(v.nsgFixes) || typeof v.id !== "string")
    throw new InputError(`${file}: plan has no id, vms or nsgFixes`);
  return v as unknown as RemediationPlan;
}
