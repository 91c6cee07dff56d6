import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { CMD_LINE_LIMIT, COMMAND_PREFIX, encodeHardeningCommand } from "../../src/baseline/encode";
import { CommandTooLongError } from "../../src/errors";
import { renderHardeningScript } from "../../src/baseline/render-online";
import { renderOfflineScript } from "../../src/baseline/render-offline";
import { readTemplate } from "../../src/baseline/template";
import { ParseReport, parsePowerShell, psLiteral, pwshPath, runPwsh } from "../harness/pwsh";
import { LARGEST, optionsArb, renderArb } from "./arbitraries";

/*
 * The scripts as PowerShell itself sees them (real pwsh 7.6.9, installed by scripts/install-tools.sh):
 * the exact commandToExecute decoded and bootstrapped, and every rendered script run through
 * PowerShell's parser plus a check for syntax Windows PowerShell 5.1 (what the VMs run) lacks.
 */
const SEED = Number(process.env.RDPG_FC_SEED ?? Date.now() % 2 ** 31);
const GENERATED = fc.sample(fc.tuple(optionsArb, renderArb), { numRuns: 60, seed: SEED });

interface Case {
  name: string;
  script: string;
  command: string;
}
const CASES: Case[] = [
  ...GENERATED.map(([o, r], i) => ({
    name: `online #${i} ${JSON.stringify({ ...o, ...r })}`,
    script: renderHardeningScript(o, r),
  })),
  { name: "online largest", script: renderHardeningScript(LARGEST, { mode: "enforce", allowReboot: true }) },
  { name: "offline default", script: renderOfflineScript({}) },
  { name: "offline largest, attempt 3", script: renderOfflineScript(LARGEST, { attempt: "3" }) },
  {
    name: "offline minimal",
    script: renderOfflineScript({ serialConsole: false, machineKeysAcl: false, crashDump: false }),
  },
].map((c) => ({ ...c, command: encodeHardeningCommand(c.script, c.name) }));

const lengths = (pick: (c: Case) => boolean): number[] => CASES.filter(pick).map((c) => c.command.length);

describe(`bootstrap round-trip in real pwsh (fast-check seed ${SEED})`, () => {
  let captured: Map<string, Buffer>;

  beforeAll(() => {
    const dir = mkdtempSync(path.join(tmpdir(), "rdpg-bootstrap-"));
    const cases = CASES.map((c, i) => ({ name: c.name, command: c.command, out: path.join(dir, `${i}.out`) }));
    writeFileSync(path.join(dir, "cases.json"), JSON.stringify(cases));
    // Only the final iex is replaced: the alias goes, a function of the same name takes the text.
    const r = runPwsh(`$ErrorActionPreference = 'Stop'
Remove-Item -LiteralPath Alias:iex -Force
function iex { param([Parameter(Mandatory)][string]$Command) $script:Captured = $Command }
foreach ($c in (Get-Content -Raw -LiteralPath ${psLiteral(path.join(dir, "cases.json"))} | ConvertFrom-Json)) {
  $script:Captured = $null
  # What cmd.exe and the PowerShell CLI do with the exact command line: the -C argument is the text
  # between the double quotes (it holds no other double quote), run as a script block.
  $argv = @($c.command -split ' ', 7)
  if ($argv.Count -ne 7 -or $argv[0] -ne 'powershell' -or $argv[5] -ne '-C' -or $argv[6] -notmatch '^"[^"]+"$') {
    throw "unexpected command line: $($c.name)"
  }
  $inner = $argv[6].Substring(1, $argv[6].Length - 2)
  & ([scriptblock]::Create($inner))
  if ($null -eq $script:Captured) { throw "the bootstrap of $($c.name) never reached iex" }
  [IO.File]::WriteAllText($c.out, $script:Captured, [Text.UTF8Encoding]::new($false))
}
`);
    if (r.status !== 0) throw new Error(`bootstrap run failed (exit ${r.status}): ${r.stderr}`);
    captured = new Map(cases.map((c) => [c.name, readFileSync(c.out)]));
  }, 240_000);

  it(
    "captures a script byte-identical to the rendered one, for >= 50 generated option sets and the offline " +
      "command",
    () => {
      expect(CASES.filter((c) => c.name.startsWith("online #")).length).toBeGreaterThanOrEqual(50);
      const mismatched = CASES.filter((c) => !captured.get(c.name)!.equals(Buffer.from(c.script, "utf8"))).map(
        (c) => c.name,
      );
      expect(mismatched).toEqual([]);
    },
  );

  it("every command starts with the short prefix and fits cmd.exe's 8,191 characters", () => {
    for (const c of CASES) {
      expect(c.command.startsWith(COMMAND_PREFIX), c.name).toBe(true);
      expect(c.command.length, c.name).toBeLessThanOrEqual(CMD_LINE_LIMIT);
    }
    const online = lengths((c) => c.name.startsWith("online"));
    const offline = lengths((c) => c.name.startsWith("offline"));
    console.info(
      `command lengths: online ${Math.min(...online)}-${Math.max(...online)}, ` +
        `offline ${offline.join("/")} (limit ${CMD_LINE_LIMIT})`,
    );
  });
});

describe("the exact command line in a real PowerShell process", () => {
  const run = (command: string) => {
    // As Windows splits a command line (CommandLineToArgvW): spaces separate, double quotes group.
    const argv = [...command.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
    expect(argv.slice(0, 6)).toEqual(["powershell", "-NoP", "-NonI", "-EP", "Bypass", "-C"]);
    expect(argv.length).toBe(7);
    return spawnSync(pwshPath(), argv.slice(1), {
      encoding: "utf8",
      timeout: 60_000,
      cwd: mkdtempSync(path.join(tmpdir(), "rdpg-cli-")),
    });
  };

  it("the CLI accepts -NoP -NonI -EP Bypass -C and the real iex runs the inflated script", () => {
    const r = run(
      encodeHardeningCommand(
        "$x = 'payload ünïcødé ok'\nWrite-Output \"$x $([Environment]::CommandLine.Length -gt 0)\"\n",
      ),
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("payload ünïcødé ok True");
  });

  it("the offline command runs to its JSON report (here it fails: no reg.exe or Storage module on Linux)", () => {
    const r = run(encodeHardeningCommand(renderOfflineScript({}, { attempt: "7" })));
    const last = r.stdout.trim().split(/\r?\n/).pop()!;
    const report = JSON.parse(last) as {
      tool: string;
      mode: string;
      attempt: string;
      failed: number;
      results: { id: string; message: string }[];
    };
    expect(report).toMatchObject({ tool: "azure-rdp-guard", mode: "offline", attempt: "7", failed: 1 });
    expect(report.results[0]!.message).toMatch(/reg\.exe/);
    expect(r.status).toBe(1);
  });

  it("the old bootstrap's DeflateStream(stream, 0) is ambiguous in real PowerShell (why the mode is typed)", () => {
    const r = runPwsh("New-Object IO.Compression.DeflateStream((New-Object IO.MemoryStream(,[byte[]]@(3, 0))), 0)");
    expect(r.stderr).toMatch(/ambiguous overloads/i);
  });

  it("rendering refuses a script whose command would exceed 8,191 characters, naming it", () => {
    const noise = Array.from(
      { length: 1500 },
      (_, i) => `Write-Output '${(i * 7919).toString(36)}${Math.sin(i)}'`,
    ).join("\n");
    expect(() => encodeHardeningCommand(noise, "the test script")).toThrow(CommandTooLongError);
    expect(() => encodeHardeningCommand(noise, "the test script")).toThrow(
      /the test script encodes to a \d+-character command, over cmd\.exe's 8191/,
    );
  });
});

describe("PowerShell's own parser on every rendered script", () => {
  let reports: ParseReport[];
  beforeAll(() => {
    const scripts: Record<string, string> = { "template offline.ps1": readTemplate("offline.ps1") };
    for (const c of CASES) {
      scripts[c.name] = c.script;
      scripts[`bootstrap of ${c.name}`] = c.command.slice(COMMAND_PREFIX.length, -1);
    }
    reports = parsePowerShell(scripts);
  }, 240_000);

  it("finds no parse errors and no syntax Windows PowerShell 5.1 lacks", () => {
    expect(reports.length).toBe(CASES.length * 2 + 1);
    expect(reports.filter((r) => r.errors.length > 0 || r.ps51.length > 0)).toEqual([]);
  });

  it("the checks catch what they name", () => {
    const [bad, ps7] = parsePowerShell({
      bad: "if ($a { 'x' }\n",
      ps7: [
        "$a = $b ?? 1",
        "$c ??= 2",
        "${d}?.Name",
        "${e}?[0]",
        "$f = $g ? 1 : 2",
        "Get-Item x && Get-Item y",
        "Get-Item x || exit",
        "1..3 | ForEach-Object -Parallel { $_ }",
        "function h { process { } clean { } }",
        "Start-Sleep 1 &",
      ].join("\n"),
    });
    expect(bad!.errors.length).toBeGreaterThan(0);
    const found = ps7!.ps51.map((p) => `${p.line}:${p.message.split(" : ")[0]}`);
    expect(found).toEqual(
      expect.arrayContaining([
        "1:null-coalescing ??",
        "2:null-coalescing assignment ??=",
        "3:null-conditional member access ?.",
        "4:null-conditional index ?[]",
        "5:ternary operator ?:",
        "6:pipeline chain AndAnd",
        "7:pipeline chain OrOr",
        "8:-Parallel",
        "9:clean block",
        "10:background operator &",
      ]),
    );
  });
});
