import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { repoRoot } from "./pwsh";

/*
 * Real registry hive files, edited with Debian's hivex tools (libhivex-bin, libwin-hivex-perl).
 * scripts/install-tools.sh (npm test's pretest, .ci/run) installs them; missing tools fail the tests.
 */
export const HIVE_FIXTURE = path.join(repoRoot(), "test", "baseline", "fixtures", "minimal.hive");

/** Throws a clear error when hivexregedit or hivexget is missing (the hive tests never skip). */
export function requireHivex(): void {
  // Both print usage and exit non-zero without arguments; only a missing binary is an error.
  for (const [tool, args] of [
    ["hivexregedit", ["--help"]],
    ["hivexget", []],
  ] as const) {
    if (spawnSync(tool, args, { stdio: "ignore" }).error !== undefined) {
      throw new Error(
        `${tool} not found: install Debian's libhivex-bin and libwin-hivex-perl (scripts/install-tools.sh)`,
      );
    }
  }
}

/** A writable copy of the empty fixture hive. */
export function freshHive(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "hive-"));
  const file = path.join(dir, "SYSTEM");
  copyFileSync(HIVE_FIXTURE, file);
  chmodSync(file, 0o644);
  return file;
}

/** Applies .reg text the way the rescue VM does after `reg load HKLM\BROKENSYSTEM`. */
export function mergeReg(hive: string, regText: string, prefix = "HKEY_LOCAL_MACHINE\\BROKENSYSTEM"): void {
  const reg = path.join(path.dirname(hive), `merge-${Date.now()}-${Math.random().toString(16).slice(2)}.reg`);
  writeFileSync(reg, regText);
  execFileSync("hivexregedit", ["--merge", "--prefix", prefix, hive, reg], { stdio: ["ignore", "ignore", "pipe"] });
}

/** A value as hivexget prints it (DWORDs as decimal, strings as text), or undefined if absent. */
export function hiveValue(hive: string, key: string, name: string): string | undefined {
  const r = spawnSync("hivexget", [hive, key, name], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.replace(/\n$/, "") : undefined;
}

export function exportHive(hive: string): string {
  return execFileSync("hivexregedit", ["--export", hive, "\\"], { encoding: "utf8" });
}
