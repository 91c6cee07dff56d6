import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
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
export function runPwsh(script: string, opts: { modules?: boolean; timeoutMs?: number; cwd?: string } = {}): PwshResult {
  const dir = mkdtempSync(path.join(tmpdir(), "rdpg-pwsh-"));
  const file = path.join(dir, "run.ps1");
  writeFileSync(file, script, "utf8");
  const env = { ...process.env };
  if (opts.modules) env.PSModulePath = [psModulePath(), env.PSModulePath].filter(Boolean).join(path.delimiter);
  const r = spawnSync(pwshPath(), ["-NoLogo", "-NoProfile", "-NonInteractive", "-File", file], {
    encoding: "utf8", env, cwd: opts.cwd ?? dir, timeout: opts.timeoutMs ?? 240_000, maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A PowerShell single-quoted literal. */
export function psLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
