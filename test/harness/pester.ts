import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { psLiteral, runPwsh } from "./pwsh";

export interface PesterTest {
  /** Describe/Context/It path with data expanded, e.g. "offline repair script (2).unloads the hive ...". */
  readonly path: string;
  readonly result: string;
  readonly error?: string;
}

/**
 * Runs one Pester 5 test file in real pwsh with `data` as its parameters and returns every test's
 * result. A container that fails outside a test (BeforeAll, a syntax error) is returned as a failed
 * test, so nothing passes by not running.
 */
export function runPester(file: string, data: Record<string, string>): PesterTest[] {
  const out = path.join(mkdtempSync(path.join(tmpdir(), "rdpg-pester-")), "results.json");
  const hash = Object.entries(data)
    .map(([k, v]) => `${k} = ${psLiteral(v)}`)
    .join("; ");
  const script = `$ErrorActionPreference = 'Stop'
Import-Module Pester -RequiredVersion 5.7.1
$cfg = New-PesterConfiguration
$cfg.Run.Container = New-PesterContainer -Path ${psLiteral(file)} -Data @{ ${hash} }
$cfg.Run.PassThru = $true
$cfg.Output.Verbosity = 'None'
$r = Invoke-Pester -Configuration $cfg
# The message and where it was thrown (two stack frames are enough to find the line).
function Format-Errors($Records) {
  @($Records | ForEach-Object {
    $at = @("$($_.ScriptStackTrace)" -split "\n" | Select-Object -First 2) -join ' < '
    "$($_.Exception.Message) @ $at"
  }) -join '; '
}
$rows = @($r.Tests | ForEach-Object {
  [ordered]@{ path = $_.ExpandedPath; result = "$($_.Result)"; error = Format-Errors $_.ErrorRecord }
})
foreach ($b in @($r.Containers) + @($r.FailedBlocks)) {
  if ("$($b.Result)" -eq 'Failed' -and $b.ErrorRecord.Count -gt 0) {
    $rows += [ordered]@{ path = "block $($b.Name)"; result = 'Failed'; error = Format-Errors $b.ErrorRecord }
  }
}
ConvertTo-Json -InputObject $rows -Depth 4 | Set-Content -LiteralPath ${psLiteral(out)} -Encoding utf8
`;
  const r = runPwsh(script, { modules: true });
  if (r.status !== 0) throw new Error(`Pester run of ${file} failed (exit ${r.status}): ${r.stderr || r.stdout}`);
  return JSON.parse(readFileSync(out, "utf8")) as PesterTest[];
}
