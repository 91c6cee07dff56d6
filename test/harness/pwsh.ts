import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/*
 * Real PowerShell 7 (and Pester) for the tests. `scripts/install-tools.sh` (run by `npm test`'s pretest
 * and by .ci/run) installs both into the repo's git-ignored .tools/. Missing tools are an error, never
 * a skip: CI must fail rather than pass without running the scripts.
 *
 * Lookup order, pwsh: env RDPG_PWSH, <repo>/.tools/pwsh/pwsh, then PATH.
 * Modules (Pester): env RDPG_PSMODULEPATH, then <repo>/.tools/Modules.
 */

/** The checkout this file belongs to (works from test/harness and from dist/test/harness). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
}

const INSTALL_HINT = "run scripts/install-tools.sh (npm test does it first)";

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir && existsSync(file)) return file;
  }
  return undefined;
}

/** The pwsh executable, or a clear error naming where it was looked for. */
export function pwshPath(): string {
  const env = process.env.RDPG_PWSH;
  if (env) {
    if (!existsSync(env)) throw new Error(`RDPG_PWSH=${env} does not exist`);
    return env;
  }
  const local = path.join(repoRoot(), ".tools", "pwsh", "pwsh");
  if (existsSync(local)) return local;
  const found = onPath("pwsh");
  if (found) return found;
  throw new Error(`PowerShell 7 not found (RDPG_PWSH, ${local}, PATH): ${INSTALL_HINT}`);
}

/** The folder holding Pester/<version>/Pester.psd1, or a clear error. */
export function psModulePath(): string {
  const dir = process.env.RDPG_PSMODULEPATH || path.join(repoRoot(), ".tools", "Modules");
  if (!existsSync(path.join(dir, "Pester"))) throw new Error(`Pester not found in ${dir}: ${INSTALL_HINT}`);
  return dir;
}

export interface PwshResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a script file's text in a fresh `pwsh -NoProfile -NonInteractive` with the tools' module path
 * first, so `Import-Module Pester` finds the pinned version. Throws with stderr when pwsh fails to start.
 */
export function runPwsh(
  script: string,
  opts: { modules?: boolean; timeoutMs?: number; cwd?: string } = {},
): PwshResult {
  const dir = mkdtempSync(path.join(tmpdir(), "rdpg-pwsh-"));
  const file = path.join(dir, "run.ps1");
  writeFileSync(file, script, "utf8");
  const env = { ...process.env };
  if (opts.modules) env.PSModulePath = [psModulePath(), env.PSModulePath].filter(Boolean).join(path.delimiter);
  const r = spawnSync(pwshPath(), ["-NoLogo", "-NoProfile", "-NonInteractive", "-File", file], {
    encoding: "utf8",
    env,
    cwd: opts.cwd ?? dir,
    timeout: opts.timeoutMs ?? 240_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A PowerShell single-quoted literal. */
export function psLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export interface ParseProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface ParseReport {
  readonly name: string;
  /** PowerShell's own parse errors (System.Management.Automation.Language.Parser). */
  readonly errors: ParseProblem[];
  /** Syntax Windows PowerShell 5.1 lacks, found in the AST (the scripts run on 5.1). */
  readonly ps51: ParseProblem[];
}

/*
 * Each AST shape PowerShell 7 parses but 5.1 does not: `??`, `??=`, `?.`, `?[]`, ternary, pipeline
 * chains (&&, ||), `-Parallel` (ForEach-Object), `clean {}`, a trailing `&` (background job).
 */
const PS51_CHECK = String.raw`
function Get-Ps51Problems($Ast) {
  $L = 'System.Management.Automation.Language'
  foreach ($n in $Ast.FindAll({ $true }, $true)) {
    $what = $null
    if ($n -is "$L.TernaryExpressionAst") { $what = 'ternary operator ?:' }
    elseif ($n -is "$L.PipelineChainAst") { $what = "pipeline chain $($n.Operator)" }
    elseif ($n -is "$L.BinaryExpressionAst" -and "$($n.Operator)" -eq 'QuestionQuestion') {
      $what = 'null-coalescing ??'
    }
    elseif ($n -is "$L.AssignmentStatementAst" -and "$($n.Operator)" -eq 'QuestionQuestionEquals') {
      $what = 'null-coalescing assignment ??='
    }
    elseif ($n -is "$L.MemberExpressionAst" -and $n.NullConditional) { $what = 'null-conditional member access ?.' }
    elseif ($n -is "$L.IndexExpressionAst" -and $n.NullConditional) { $what = 'null-conditional index ?[]' }
    elseif ($n -is "$L.ScriptBlockAst" -and $n.CleanBlock) { $what = 'clean block' }
    elseif ($n -is "$L.PipelineAst" -and $n.Background) { $what = 'background operator &' }
    elseif ($n -is "$L.CommandParameterAst" -and $n.ParameterName.Length -ge 2 -and
            'parallel'.StartsWith($n.ParameterName.ToLowerInvariant())) { $what = '-Parallel' }
    if ($what) {
      [ordered]@{
        line = $n.Extent.StartLineNumber; column = $n.Extent.StartColumnNumber; message = "$what : $($n.Extent.Text)"
      }
    }
  }
}
`;

/**
 * Parses every script with PowerShell's own parser in one pwsh process and reports parse errors and
 * syntax Windows PowerShell 5.1 lacks.
 */
export function parsePowerShell(scripts: Record<string, string>): ParseReport[] {
  const dir = mkdtempSync(path.join(tmpdir(), "rdpg-parse-"));
  const names = Object.keys(scripts);
  names.forEach((name, i) => writeFileSync(path.join(dir, `${i}.ps1`), scripts[name]!, "utf8"));
  const out = path.join(dir, "report.json");
  const r = runPwsh(`$ErrorActionPreference = 'Stop'
${PS51_CHECK}
$rows = foreach ($i in 0..${names.length - 1}) {
  $tokens = $null; $errors = $null
  $path = Join-Path ${psLiteral(dir)} "$i.ps1"
  $ast = [System.Management.Automation.Language.Parser]::ParseFile($path, [ref]$tokens, [ref]$errors)
  [ordered]@{
    index = $i
    errors = @($errors | ForEach-Object {
      [ordered]@{ line = $_.Extent.StartLineNumber; column = $_.Extent.StartColumnNumber; message = $_.Message }
    })
    ps51 = @(Get-Ps51Problems $ast)
  }
}
ConvertTo-Json -InputObject @($rows) -Depth 5 | Set-Content -LiteralPath ${psLiteral(out)} -Encoding utf8
`);
  if (r.status !== 0) throw new Error(`pwsh parser run failed (exit ${r.status}): ${r.stderr}`);
  const rows = JSON.parse(readFileSync(out, "utf8")) as {
    index: number;
    errors: ParseProblem[];
    ps51: ParseProblem[];
  }[];
  return rows.map((row) => ({ name: names[row.index]!, errors: row.errors, ps51: row.ps51 }));
}
