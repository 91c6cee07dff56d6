import { BaselineError } from "../errors";
import { HardeningOptions, resolveOptions } from "./options";
import { OFFLINE_HIVE_ROOT, renderOfflineReg } from "./render-reg";
import { psq } from "./powershell";
import { MACHINE_KEYS_GRANTS, emsBcdCommands } from "./settings";
import { compactScript, fillSettings, readTemplate } from "./template";

export interface OfflineRenderOptions {
  /**
   * The repair attempt (e.g. "1", "2"): written into the report and the backup folder name. Each
   * attempt must also get its own extension forceUpdateTag ({@link offlineForceUpdateTag}), or Azure
   * does not run identical settings again.
   */
  readonly attempt?: string;
  /** LUN the broken OS disk's copy is attached at on the rescue VM (default 0). */
  readonly diskLun?: number;
  /**
   * Azure id of the managed disk expected at {@link diskLun}. The script echoes it in its report (with the LUN
   * it actually found), so the caller can check the report is about the disk it attached there.
   */
  readonly diskId?: string;
}

// Managed disk names are letters, digits, '_', '-' and '.'; resource group names may also hold '(' and ')'.
const DISK_ID = /^\/subscriptions\/[\w-]+\/resourceGroups\/[\w.()-]+\/providers\/Microsoft\.Compute\/disks\/[\w.-]+$/i;

/** The CustomScript forceUpdateTag for one attempt of one repair run. */
export function offlineForceUpdateTag(runId: string, attempt: string | number): string {
  return `${runId}-offline-${attempt}`;
}

/**
 * The runbook's offline repair as a script for the rescue VM (run by a CustomScript extension), from
 * the template scripts/offline.ps1: find the attached disk's Windows volume and boot store (Gen1 or
 * Gen2) and check everything before changing anything; back up the SYSTEM hive with its logs, the BCD
 * store and the MachineKeys ACLs onto the repaired disk; import the baseline .reg into each existing
 * control set (hive always unloaded); reset MachineKeys ACLs and enable EMS in the disk's BCD store.
 * The last stdout line is a JSON report.
 */
export function renderOfflineScript(options: HardeningOptions, render: OfflineRenderOptions = {}): string {
  const o = resolveOptions(options);
  const attempt = render.attempt ?? "1";
  if (!/^[A-Za-z0-9._-]{1,40}$/.test(attempt)) {
    throw new BaselineError(`attempt: '${attempt}' must be 1-40 letters, digits, '.', '_' or '-'`);
  }
  const lun = render.diskLun ?? 0;
  if (!Number.isInteger(lun) || lun < 0 || lun > 63) {
    throw new BaselineError(`diskLun: ${String(lun)} must be a LUN from 0 to 63`);
  }
  const diskId = render.diskId ?? "";
  if (diskId && (!DISK_ID.test(diskId) || diskId.length > 400)) {
    throw new BaselineError(`diskId: '${diskId}' is not a managed disk resource id`);
  }
  const reg = renderOfflineReg(o, ["ControlSet001"]);
  if (/^'@/m.test(reg)) throw new Error("the .reg text cannot be embedded in a here-string");
  const list = (items: readonly string[]): string => `@(${items.map(psq).join(", ")})`;
  const grants = o.machineKeysAcl ? MACHINE_KEYS_GRANTS.map((g) => `*${g.sid}:(${g.rights})`) : [];
  const bcd = o.serialConsole ? emsBcdCommands("{default}") : [];
  const settings = [
    `$Hive = ${psq(OFFLINE_HIVE_ROOT.replace("HKEY_LOCAL_MACHINE", "HKLM"))}`,
    `$DiskLun = ${lun}`,
    `$DiskId = ${psq(diskId)}`,
    `$Attempt = ${psq(attempt)}`,
    `$MachineKeysGrants = ${list(grants)}`,
    // @(@(a), @(b)) stays a list of lists; a single list needs the unary comma.
    `$BcdCommands = @(${bcd.length === 1 ? "," : ""}${bcd.map(list).join(", ")})`,
    `$CrashDump = ${o.crashDump ? "$true" : "$false"}`,
    "$Reg = @'",
    reg,
    "'@",
  ].join("\n");
  return compactScript(fillSettings(readTemplate("offline.ps1"), "offline.ps1", settings));
}
