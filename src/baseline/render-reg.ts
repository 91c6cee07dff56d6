import { HardeningOptions, resolveOptions } from "./options";
import { RegistrySetting, registrySettings } from "./settings";

/** Where the rescue VM loads the broken disk's SYSTEM hive (the runbook's name). */
export const OFFLINE_HIVE_ROOT = "HKEY_LOCAL_MACHINE\\BROKENSYSTEM";

/**
 * The registry settings that make sense offline: everything in the baseline except entries that
 * depend on the running OS build (TLS 1.3 keys exist from Windows Server 2022; absent keys already
 * mean "enabled" there).
 */
export function offlineSettings(options: HardeningOptions): RegistrySetting[] {
  return registrySettings(resolveOptions(options)).filter((s) => s.minBuild === undefined);
}

function regString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** REG_EXPAND_SZ as .reg writes it: hex(2) of the UTF-16LE string and its terminator. */
export function expandSzHex(s: string): string {
  const bytes = [...Buffer.from(`${s}\0`, "utf16le")];
  return `hex(2):${bytes.map((b) => b.toString(16).padStart(2, "0")).join(",")}`;
}

function regValue(s: RegistrySetting): string {
  if (s.type === "REG_DWORD") return `dword:${(Number(s.value) >>> 0).toString(16).padStart(8, "0")}`;
  if (s.type === "REG_EXPAND_SZ") return expandSzHex(String(s.value));
  return regString(String(s.value));
}

/**
 * The offline part of the baseline as a .reg file for a SYSTEM hive loaded at
 * HKLM\BROKENSYSTEM, for each control set given (ControlSet001 and ControlSet002 by default, plus the
 * one Select\Current names). Parent keys are written first, top-down, so `reg import` and
 * `hivexregedit --merge` can both apply it to a hive that lacks them.
 */
export function renderOfflineReg(
  options: HardeningOptions,
  controlSets: readonly string[] = ["ControlSet001", "ControlSet002"],
): string {
  for (const cs of controlSets)
    if (!/^ControlSet\d{3}$/.test(cs)) throw new Error(`control set '${cs}' must look like ControlSet001`);
  const settings = offlineSettings(options);
  const lines = ["Windows Registry Editor Version 5.00", ""];
  const written = new Set<string>();
  const key = (k: string): void => {
    const parts = k.split("\\");
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join("\\");
      if (written.has(p.toLowerCase())) continue;
      written.add(p.toLowerCase());
      lines.push(`[${OFFLINE_HIVE_ROOT}\\${p}]`);
      // A key may be both a setting's key and a parent of another's (Terminal Server, its WinStations\RDP-Tcp):
      // whichever comes first writes the key with its values.
      const values = byLowerKey.get(p.toLowerCase()) ?? [];
      for (const s of values) lines.push(`${regString(s.name)}=${regValue(s)}`);
      lines.push("");
    }
  };
  const byKey = new Map<string, RegistrySetting[]>();
  for (const cs of controlSets) {
    for (const s of settings) {
      const k = `${cs}\\${s.key}`;
      byKey.set(k, [...(byKey.get(k) ?? []), s]);
    }
  }
  const byLowerKey = new Map<string, RegistrySetting[]>();
  for (const [k, v] of byKey) byLowerKey.set(k.toLowerCase(), [...(byLowerKey.get(k.toLowerCase()) ?? []), ...v]);
  for (const k of byKey.keys()) key(k);
  return lines.join("\r\n");
}
