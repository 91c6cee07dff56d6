import { beforeAll, describe, expect, it } from "vitest";
import { offlineForceUpdateTag, renderOfflineScript } from "../../src/baseline/render-offline";
import { offlineSettings, renderOfflineReg } from "../../src/baseline/render-reg";
import { MACHINE_KEYS_GRANTS, emsBcdCommands } from "../../src/baseline/settings";
import { exportHive, freshHive, hiveValue, mergeReg, requireHivex } from "../harness/hive";

const OPTION_SETS = [{}, { legacyTls: true, securityLayer: "tls" as const }, { crashDump: false, rdpPort: 3390 }];

/** hivexget prints DWORDs in decimal and strings as text. */
const expected = (v: string | number): string => String(v);

describe("offline .reg on a real hive file", () => {
  beforeAll(() => requireHivex());

  it.each(OPTION_SETS)("sets every offline baseline value in ControlSet001 and ControlSet002 (%j)", (options) => {
    const hive = freshHive();
    mergeReg(hive, renderOfflineReg(options));
    const settings = offlineSettings(options);
    expect(settings.length).toBeGreaterThan(5);
    for (const cs of ["ControlSet001", "ControlSet002"]) {
      for (const s of settings) {
        expect(hiveValue(hive, `\\${cs}\\${s.key}`, s.name), `${cs}\\${s.key}\\${s.name}`).toBe(expected(s.value));
      }
    }
    // Nothing outside the control sets it was asked for.
    expect(exportHive(hive)).not.toMatch(/ControlSet003/);
  });

  it("DumpFile is REG_EXPAND_SZ with the unexpanded %SystemRoot%", () => {
    const hive = freshHive();
    mergeReg(hive, renderOfflineReg({}));
    expect(exportHive(hive)).toMatch(/"DumpFile"=hex\(2\):25,00,53,00,79,00/);
    expect(hiveValue(hive, "\\ControlSet001\\Control\\CrashControl", "DumpFile")).toBe("%SystemRoot%\\MEMORY.DMP");
  });

  it("fixes wrong values, keeps unrelated values, and is idempotent", () => {
    const hive = freshHive();
    mergeReg(
      hive,
      [
        "Windows Registry Editor Version 5.00",
        "",
        "[HKEY_LOCAL_MACHINE\\BROKENSYSTEM\\ControlSet001]",
        "",
        "[HKEY_LOCAL_MACHINE\\BROKENSYSTEM\\ControlSet001\\Control]",
        "",
        "[HKEY_LOCAL_MACHINE\\BROKENSYSTEM\\ControlSet001\\Control\\Terminal Server]",
        "",
        "[HKEY_LOCAL_MACHINE\\BROKENSYSTEM\\ControlSet001\\Control\\Terminal Server\\WinStations]",
        "",
        "[HKEY_LOCAL_MACHINE\\BROKENSYSTEM\\ControlSet001\\Control\\Terminal Server\\WinStations\\RDP-Tcp]",
        '"UserAuthentication"=dword:00000000',
        '"MaxInstanceCount"=dword:00000005',
        "",
      ].join("\r\n"),
    );
    const rdp = "\\ControlSet001\\Control\\Terminal Server\\WinStations\\RDP-Tcp";
    expect(hiveValue(hive, rdp, "UserAuthentication")).toBe("0");
    mergeReg(hive, renderOfflineReg({}));
    expect(hiveValue(hive, rdp, "UserAuthentication")).toBe("1");
    expect(hiveValue(hive, rdp, "MaxInstanceCount")).toBe("5");
    const once = exportHive(hive);
    mergeReg(hive, renderOfflineReg({}));
    expect(exportHive(hive)).toBe(once);
  });

  it("TLS 1.0/1.1 only with legacyTls, and the runbook's NLA values", () => {
    const secure = freshHive();
    mergeReg(secure, renderOfflineReg({}));
    const tls10 = "\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Server";
    expect(hiveValue(secure, tls10, "Enabled")).toBeUndefined();
    const legacy = freshHive();
    mergeReg(legacy, renderOfflineReg({ legacyTls: true }));
    expect(hiveValue(legacy, tls10, "Enabled")).toBe("1");
    const rdp = "\\ControlSet002\\Control\\Terminal Server\\WinStations\\RDP-Tcp";
    expect([
      hiveValue(secure, rdp, "SecurityLayer"),
      hiveValue(secure, rdp, "UserAuthentication"),
      hiveValue(secure, rdp, "fAllowSecProtocolNegotiation"),
    ]).toEqual(["1", "1", "1"]);
  });
});

// The script itself runs under Pester (test/pester/offline) and PowerShell's parser (test/baseline/pwsh.test.ts).
describe("offline rescue script rendering", () => {
  it("embeds exactly the .reg text proven on the hive above", () => {
    for (const o of OPTION_SETS)
      expect(renderOfflineScript(o)).toContain(`$Reg = @'\n${renderOfflineReg(o, ["ControlSet001"])}\n'@`);
  });

  it("takes the MachineKeys grants and EMS boot settings from the baseline data, each only when enabled", () => {
    const script = renderOfflineScript({});
    const grants = MACHINE_KEYS_GRANTS.map((g) => `'*${g.sid}:(${g.rights})'`).join(", ");
    expect(script).toContain(`$MachineKeysGrants = @(${grants})`);
    const bcd = emsBcdCommands("{default}")
      .map((c) => `@(${c.map((a) => `'${a}'`).join(", ")})`)
      .join(", ");
    expect(script).toContain(`$BcdCommands = @(${bcd})`);
    const off = renderOfflineScript({ machineKeysAcl: false, serialConsole: false, crashDump: false });
    expect(off).toContain("$MachineKeysGrants = @()");
    expect(off).toContain("$BcdCommands = @()");
    expect(off).toContain("$CrashDump = $false");
  });

  it("runs native tools only through the seam, which never redirects stderr (terminating under 'Stop' in 5.1)", () => {
    const script = renderOfflineScript({});
    const native = script.split("\n").filter((l) => /&\s*\$?[\w.-]+(\.exe)?\s+@?/.test(l) && !/^\$Reg|^\[/.test(l));
    expect(native).toEqual(["$out = & $Exe @Arguments | Out-String"]);
    expect(script).not.toMatch(/&\s+[\w-]+\.exe/);
  });

  it("names each retry: the attempt goes into the report and backup folder, and has its own forceUpdateTag", () => {
    expect(renderOfflineScript({}, { attempt: "2" })).toContain("$Attempt = '2'");
    expect(renderOfflineScript({})).toContain("$Attempt = '1'");
    expect(offlineForceUpdateTag("run-20261126", 2)).not.toBe(offlineForceUpdateTag("run-20261126", 1));
    expect(() => renderOfflineScript({}, { attempt: "x'; rm" })).toThrow(/attempt/);
    expect(() => renderOfflineScript({}, { diskLun: 64 })).toThrow(/diskLun/);
    expect(renderOfflineScript({}, { diskLun: 3 })).toContain("$DiskLun = 3");
  });

  it("binds the script to one Azure disk id, which must be a managed disk id", () => {
    const id = "/subscriptions/s1/resourceGroups/rg-a/providers/Microsoft.Compute/disks/vm-osdisk-rdpguard-0a1b";
    expect(renderOfflineScript({}, { diskId: id, diskLun: 2 })).toContain(`$DiskLun = 2\n$DiskId = '${id}'`);
    expect(renderOfflineScript({})).toContain("$DiskId = ''");
    expect(() => renderOfflineScript({}, { diskId: `${id}'; rm` })).toThrow(/diskId/);
    expect(() => renderOfflineScript({}, { diskId: id.replace("/disks/", "/snapshots/") })).toThrow(/diskId/);
  });

  it("rejects bad baseline options, naming the field", () => {
    expect(() => renderOfflineScript({ rdpPort: 0 })).toThrow(/rdpPort/);
    expect(() => renderOfflineScript({ certMinValidDays: -1 })).toThrow(/certMinValidDays/);
  });
});
