import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/*
 * Real registry hive files, edited with Debian's hivex tools (libhivex-bin, libwin-hivex-perl).
 * .ci/run installs them; where they are missing the hive tests are skipped with a message.
 */
export const HIVE_FIXTURE = path.resolve(__dirname, "../../../shared/fixtures/minimal.hive");

export function hivexAvailable(): boolean {
  // Both print usage and exit non-zero without arguments; only a missing binary is an error.
  return spawnSync("hivexregedit", ["--help"], { stdio: "ignore" }).error === undefined && spawnSync("hivexget", [], { stdio: "ignore" }).error === undefined;
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
