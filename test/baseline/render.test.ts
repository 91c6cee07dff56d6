import { deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CMD_LINE_LIMIT,
  COMMAND_PREFIX,
  decodeHardeningCommand,
  encodeHardeningCommand,
  packBits,
  unpackBits,
} from "../../src/baseline/encode";
import { resolveOptions } from "../../src/baseline/options";
import { BaselineError } from "../../src/errors";
import { renderHardeningScript } from "../../src/baseline/render-online";
import { renderOfflineScript } from "../../src/baseline/render-offline";
import {
  EMS_CHECKS,
  MACHINE_KEYS_GRANTS,
  actionSteps,
  emsBcdCommands,
  observedSettings,
  registrySettings,
} from "../../src/baseline/settings";
import { LARGEST, everyCombination, optionsArb, renderArb } from "./arbitraries";

/** The `Set-Baseline` line of a registry setting, as the renderer must write it. */
const PS_KIND = { REG_DWORD: "DWord", REG_SZ: "String", REG_EXPAND_SZ: "ExpandString" } as const;

describe("renderHardeningScript", () => {
  // PowerShell's own parser and the real bootstrap run in test/baseline/pwsh.test.ts.
  it("fits the command line and decodes back to the script, for any option combination", () => {
    fc.assert(
      fc.property(optionsArb, renderArb, (o, r) => {
        const script = renderHardeningScript(o, r);
        const command = encodeHardeningCommand(script);
        expect(command.startsWith(COMMAND_PREFIX)).toBe(true);
        expect(command.length).toBeLessThanOrEqual(CMD_LINE_LIMIT);
        // cmd.exe passes the quoted -C argument unchanged only if it is ASCII without `"`, `%` or `^`.
        expect(command.slice(COMMAND_PREFIX.length, -1)).toMatch(/^[\x20-\x21\x23-\x24\x26-\x5d\x5f-\x7e]+$/);
        expect(command.endsWith('"')).toBe(true);
        expect(decodeHardeningCommand(command)).toBe(script);
      }),
      { numRuns: 60 },
    );
  });

  it("every combination of the switches and run options fits 8,191 characters, with the widest numbers", () => {
    const lengths: number[] = [];
    for (const { options, mode, allowReboot } of everyCombination()) {
      const script = renderHardeningScript(options, { mode, allowReboot });
      lengths.push(encodeHardeningCommand(script).length);
    }
    expect(lengths).toHaveLength(512);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(CMD_LINE_LIMIT);
    console.info(`online command lengths over 512 combinations: ${Math.min(...lengths)}-${Math.max(...lengths)}`);
  });

  it("the largest option set still fits 8,191 characters", () => {
    const command = encodeHardeningCommand(renderHardeningScript(LARGEST, { mode: "enforce", allowReboot: true }));
    expect(command.length).toBeLessThanOrEqual(CMD_LINE_LIMIT);
  });

  it("has a read-compare-set-report line for every registry setting of the baseline, with its exact value", () => {
    fc.assert(
      fc.property(optionsArb, (o) => {
        const script = renderHardeningScript(o, { mode: "enforce" });
        const settings = registrySettings(resolveOptions(o));
        for (const s of settings) {
          const value = typeof s.value === "number" ? String(s.value) : `'${s.value}'`;
          const rdp = { none: 0, health: 1, "restart-termservice": 2 }[s.rdp];
          expect(script).toContain(
            `,@('${s.id}', '${s.key}', '${s.name}', '${PS_KIND[s.type]}', ${value}, ${s.reboot ? 1 : 0}, ` +
              `${s.minBuild ?? 0}, ${s.absentIsDefaultFromBuild ?? 0}, ${rdp})`,
          );
        }
        const rows = /^\$Registry = @\(\n([\s\S]*?)\n\)$/m.exec(script)![1]!.split("\n");
        expect(rows.length).toBe(settings.length);
        for (const s of observedSettings(resolveOptions(o)))
          expect(script).toContain(`,@('${s.id}', 'SYSTEM\\CurrentControlSet\\${s.key}'`);
      }),
      { numRuns: 50 },
    );
  });

  it("Set-Baseline reads, compares, backs up, then sets and reports, in that order", () => {
    const script = renderHardeningScript({}, { mode: "enforce" });
    const body = script.slice(script.indexOf("function Set-Baseline"), script.indexOf("function Get-RdpProblems"));
    const at = (s: string) => {
      const i = body.indexOf(s);
      expect(i, s).toBeGreaterThan(-1);
      return i;
    };
    const read = at("Get-RegValue $p $Name");
    const compare = at(`-eq "$Value" -and $c.kind -eq $Kind`);
    const audit = at("if ($Mode -ne 'enforce')");
    const backup = at("Backup-Key $p");
    const set = at("Set-RegValue $p $Name $Kind $Value");
    const report = at("Add-Result $Id $Value $found 'changed'");
    expect([read, compare, audit, backup, set, report]).toEqual(
      [...[read, compare, audit, backup, set, report]].sort((a, b) => a - b),
    );
  });

  it("renders each enabled runbook step and omits disabled ones", async () => {
    const markers: Record<string, RegExp> = {
      "machinekeys-acl": /^\$Grants = @\(\n,@\('S-1-5-18'/m,
      "rdp-certificate": /^\$RenewCertificate = \$true$/m,
      "rdp-firewall": /RemoteDesktop-UserMode-In-TCP/,
      "rdp-port-conflict": /Get-Listeners \$RdpPort/,
      "serial-console": /,@\('ems-os', '\{current\}', 'ems', 'yes', '\/ems \{current\} on'\)/,
      "gpo-overrides": /,@\('gpo:UserAuthentication', 'SOFTWARE\\Policies/,
    };
    await fc.assert(
      fc.asyncProperty(optionsArb, async (o) => {
        const script = renderHardeningScript(o, { mode: "enforce" });
        for (const step of actionSteps(resolveOptions(o)))
          expect(markers[step.id]!.test(script), step.id).toBe(step.enabled);
      }),
      { numRuns: 30 },
    );
  });

  it("online and offline render the same MachineKeys grants and EMS settings, from settings.ts", () => {
    const online = renderHardeningScript({}, { mode: "enforce" });
    const offline = renderOfflineScript({});
    for (const g of MACHINE_KEYS_GRANTS) {
      expect(online).toContain(`'*${g.sid}:(${g.rights})'`);
      expect(offline).toContain(`'*${g.sid}:(${g.rights})'`);
    }
    for (const c of emsBcdCommands("{current}")) expect(online).toContain(`'${c.join(" ")}'`);
    for (const c of emsBcdCommands("{default}")) expect(offline).toContain(`@(${c.map((a) => `'${a}'`).join(", ")})`);
    // Each online check expects the value its own bcdedit command sets (`/ems <os> on` shows as `ems yes`).
    for (const e of EMS_CHECKS) {
      const sets = emsBcdCommands("{current}")[e.command]!.join(" ").toLowerCase().replace(/ on$/, " yes");
      expect(sets, e.id).toMatch(new RegExp(`[ :]${e.expected.toLowerCase()}( |$)`));
    }
  });

  it("keeps the runbook's icacls grants, by SID so localized Windows works", () => {
    const script = renderHardeningScript({}, { mode: "enforce" });
    for (const grant of ["*S-1-5-18:(F)", "*S-1-5-20:(R)", "*S-1-5-32-544:(F)"]) expect(script).toContain(grant);
    expect(script).toContain("$acl = Join-Path $Backup 'MachineKeys.acl'");
    expect(script).toContain("Invoke-Native icacls.exe $mk /save $acl /t /c");
    expect(script).toContain("BeforeScript_permissions.txt");
    expect(script).toContain("AfterScript_permissions.txt");
  });

  it("TLS 1.0/1.1 are enabled only with legacyTls; by default they are only observed", () => {
    const secure = renderHardeningScript({}, { mode: "enforce" });
    const set = (id: string) => new RegExp(`,@\\('${id}', '[^']*', '[^']*', 'DWord'`);
    expect(secure).not.toMatch(set("tls1[01]-server-enabled"));
    expect(secure).toMatch(/,@\('tls10-server-enabled', 'SYSTEM\\CurrentControlSet\\/);
    expect(secure).toMatch(set("tls12-server-enabled"));
    expect(secure).toMatch(/,@\('tls13-server-enabled', .*, 20348, 20348, 1\)$/m);
    expect(renderHardeningScript({ legacyTls: true }, { mode: "enforce" })).toMatch(set("tls10-server-enabled"));
  });

  // "Audit makes no mutating call" is proven by running the script: test/pester/online (audit on a VM broken
  // every way).

  it(
    "never redirects a native command's stderr (PowerShell 5.1 turns it into a terminating error under " + "'Stop')",
    () => {
      fc.assert(
        fc.property(optionsArb, renderArb, (o, r) => {
          const script = renderHardeningScript(o, r);
          expect(script).toContain("$ErrorActionPreference = 'Stop'");
          expect(script.split("\n").filter((l) => /&\s+\S+\.exe\b.*\d?>/.test(l) && !/\|\s*Out-File/.test(l))).toEqual(
            [],
          );
        }),
        { numRuns: 20 },
      );
    },
  );

  it("reboots only with allowReboot, and writes the report and a one-line summary", () => {
    expect(renderHardeningScript({}, { mode: "enforce" })).toContain("$AllowReboot = $false");
    expect(renderHardeningScript({}, { mode: "enforce", allowReboot: true })).toContain("$AllowReboot = $true");
    const script = renderHardeningScript({}, { mode: "enforce" });
    expect(script).toContain("$sched = $S.Reboot -and $AllowReboot -and $Mode -eq 'enforce' -and -not $failed");
    expect(script).toContain("$RootPath = 'C:\\ProgramData\\azure-rdp-guard'");
    expect(script).toMatch(/\$sum \| ConvertTo-Json -Compress -Depth 4\n[\s\S]*\nexit 1\n\}\nexit 0\n$/);
  });

  it("rejects bad options, naming the field", () => {
    expect(() => resolveOptions({ rdpPort: 70000 })).toThrow(BaselineError);
    expect(() => resolveOptions({ rdpPort: 70000 })).toThrow(/rdpPort/);
    expect(() => resolveOptions({ certMinValidDays: -1 })).toThrow(/certMinValidDays/);
    expect(() => resolveOptions({ securityLayer: "rdp" as "tls" })).toThrow(/securityLayer/);
  });
});

/** A command as versions before the -Command bootstrap wrote it (-EncodedCommand, 15-bit CJK packing). */
function legacyCommand(script: string): string {
  const deflated = deflateRawSync(Buffer.from(script, "utf8"), { level: 9 });
  const inner =
    `$p='${packBits(deflated)}';$b=New-Object byte[] ${deflated.length};$a=$n=$i=0;` +
    "foreach($c in [int[]][char[]]$p){$a=($a -shl 15) -bor ($c-19968);$n+=15;" +
    `while($n -ge 8 -and $i -lt ${deflated.length}){$n-=8;$b[$i++]=($a -shr $n) -band 255};` +
    "$a=$a -band ((1 -shl $n)-1)};" +
    "iex (New-Object IO.StreamReader((New-Object IO.Compression.DeflateStream((New-Object IO.MemoryStream(,$b))," +
    "[IO.Compression.CompressionMode]::Decompress)))).ReadToEnd()";
  return "powershell -NoP -NonI -EP Bypass -Enc " + Buffer.from(inner, "utf16le").toString("base64");
}

describe("decoding commands, current and earlier (15-bit packed -EncodedCommand)", () => {
  it("round-trips any bytes and stays in the CJK range (no quotes, surrogates or controls)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (bytes) => {
        const packed = packBits(bytes);
        for (const ch of packed) {
          const c = ch.charCodeAt(0);
          expect(c >= 0x4e00 && c <= 0xcdff).toBe(true);
        }
        expect(Buffer.from(unpackBits(packed, bytes.length))).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it("decodes the -EncodedCommand of earlier versions, so commands already in a stack's state still read", () => {
    const script = renderHardeningScript({ rdpPort: 3390 }, { mode: "audit" });
    expect(decodeHardeningCommand(legacyCommand(script))).toBe(script);
  });

  it("decodeHardeningCommand rejects commands it did not make", () => {
    expect(() => decodeHardeningCommand("powershell -File x.ps1")).toThrow(/no -Command bootstrap or -EncodedCommand/);
    expect(() => decodeHardeningCommand(`${COMMAND_PREFIX}Write-Output hi"`)).toThrow(/unexpected bootstrap/);
    const foreign = "powershell -NoP -Enc " + Buffer.from("Write-Output hi", "utf16le").toString("base64");
    expect(() => decodeHardeningCommand(foreign)).toThrow(/unexpected bootstrap/);
  });
});
