import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveOptions } from "../../src/baseline/options";
import { renderOfflineScript } from "../../src/baseline/render-offline";
import { offlineSettings, renderOfflineReg } from "../../src/baseline/render-reg";
import { CMD_LINE_LIMIT, encodeHardeningCommand } from "../../src/baseline/encode";
import { powershellParser, powershellSyntaxErrors } from "../harness/powershell";
import { HIVE_FIXTURE, exportHive, freshHive, hiveValue, hivexAvailable, mergeReg } from "../harness/hive";

const canEditHives = hivexAvailable() && existsSync(HIVE_FIXTURE);
if (!canEditHives) console.warn(`SKIPPED hive tests: need hivexregedit/hivexget (apt-get install libhivex-bin libwin-hivex-perl) and ${HIVE_FIXTURE}`);

const OPTION_SETS = [{}, { legacyTls: true, securityLayer: "tls" as const, disableGroupPolicyTemporarily: true }, { crashDump: false, rdpPort: 3390 }];

/** hivexget prints DWORDs in decimal and strings as text. */
const expected = (v: string | number): string => String(v);

describe.skipIf(!canEditHives)("offline .reg on a real hive file", () => {
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
    mergeReg(hive, [
      "Windows Registry Editor Version 5.00", "",
      "[HKEY_LOCAL_MACHINE\\BROKENSYSTEM\\ControlSet001]", "",
      "[HKEY_LOCAL_MACHINE\\BROKENSYSTEM\\ControlSet001\\Control]", "",
      "[HKEY_LOCAL_MACHINE\\BROKENSYSTEM\\ControlSet001\\Control\\Terminal Server]", "",
      "[HKEY_LOCAL_MACHINE\\BROKENSYSTEM\\ControlSet001\\Control\\Terminal Server\\WinStations]", "",
      "[HKEY_LOCAL_MACHINE\\BROKENSYSTEM\\ControlSet001\\Control\\Terminal Server\\WinStations\\RDP-Tcp]",
      "\"UserAuthentication\"=dword:00000000", "\"MaxInstanceCount\"=dword:00000005", "",
    ].join("\r\n"));
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
    expect([hiveValue(secure, rdp, "SecurityLayer"), hiveValue(secure, rdp, "UserAuthentication"), hiveValue(secure, rdp, "fAllowSecProtocolNegotiation")]).toEqual(["1", "1", "1"]);
  });
});

describe("offline rescue script", () => {
  it.each(OPTION_SETS)("parses under the PowerShell grammar and fits the command line (%j)", async (options) => {
    const script = renderOfflineScript(options);
    expect(await powershellSyntaxErrors(script)).toEqual([]);
    expect(encodeHardeningCommand(script).length).toBeLessThanOrEqual(CMD_LINE_LIMIT);
  });

  it("never redirects a native command's stderr (terminating under 'Stop' in PowerShell 5.1)", () => {
    const lines = renderOfflineScript({}).split("\n").filter((l) => /&\s+\S+\.exe\b/.test(l));
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((l) => /\d?>&?\d?/.test(l.replace(/\|.*$/, "")) && />/.test(l.replace(/\|.*$/, "")))).toEqual([]);
  });

  it("embeds exactly the .reg text proven on the hive above", () => {
    const script = renderOfflineScript({});
    expect(script).toContain(`$Reg = @'\n${renderOfflineReg({}, ["ControlSet001"])}\n'@`);
  });

  it("always unloads the hive: reg unload sits in the finally block around the import", async () => {
    const tree = (await powershellParser()).parse(renderOfflineScript({}))!;
    const finallies = tree.rootNode.descendantsOfType("finally_clause").map((f) => f!.text);
    expect(finallies.some((f) => f.includes("reg.exe unload $Hive"))).toBe(true);
    const tryWithImport = tree.rootNode.descendantsOfType("try_statement").map((t) => t!.text).find((t) => t.includes("reg.exe import"));
    expect(tryWithImport).toMatch(/finally \{[\s\S]*reg\.exe unload/);
    tree.delete();
  });

  it("writes only to control sets that exist (Select\\Current included) and backs up first", () => {
    const script = renderOfflineScript(resolveOptions({}));
    expect(script).toMatch(/\('ControlSet\{0:d3\}' -f \[int\]\$current\)/);
    expect(script).toMatch(/Where-Object \{ Test-Path \('Registry::' \+ \$Hive \+ '\\' \+ \$_\) \}/);
    expect(script.indexOf("Copy-Item -LiteralPath $hiveFile")).toBeLessThan(script.indexOf("reg.exe load"));
    expect(script.indexOf("/save (Join-Path $Backup 'MachineKeys.acl')")).toBeLessThan(script.indexOf("/grant $g"));
    expect(script.indexOf("/export (Join-Path $Backup 'bcd.bak')")).toBeLessThan(script.indexOf("@c | Out-Null"));
  });
});
