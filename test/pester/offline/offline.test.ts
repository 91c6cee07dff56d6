import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { renderOfflineScript } from "../../../src/baseline/render-offline";
import { HIVE_FIXTURE, requireHivex } from "../../harness/hive";
import { runPester, PesterTest } from "../../harness/pester";

/*
 * Runs offline.Tests.ps1 (Pester 5, real pwsh) against the rendered offline script: Gen1 and Gen2
 * disks, hive unload on failure, backups on the repaired disk, bcdedit /store paths and results, and
 * the import into a real SYSTEM hive file (hivex stands in for reg.exe).
 */
let tests: PesterTest[] = [];

beforeAll(() => {
  requireHivex();
  const dir = mkdtempSync(path.join(tmpdir(), "rdpg-offline-"));
  const full = path.join(dir, "offline.ps1");
  const noSerial = path.join(dir, "offline-no-serial.ps1");
  writeFileSync(full, renderOfflineScript({}));
  writeFileSync(noSerial, renderOfflineScript({ serialConsole: false, machineKeysAcl: false }));
  const bound = path.join(dir, "offline-bound.ps1");
  const diskId = "/subscriptions/s1/resourceGroups/rg-a/providers/Microsoft.Compute/disks/vm-osdisk-rdpguard-0a1b";
  writeFileSync(bound, renderOfflineScript({ serialConsole: false }, { diskId, diskLun: 1 }));
  tests = runPester(path.join(__dirname, "offline.Tests.ps1"), {
    ScriptPath: full,
    NoSerialScriptPath: noSerial,
    BoundScriptPath: bound,
    BoundDiskId: diskId,
    HivePath: HIVE_FIXTURE,
  });
}, 300_000);

describe("offline repair script under Pester", () => {
  it("ran the whole suite for Gen1 and Gen2", () => {
    expect(tests.filter((t) => t.path.includes("(1)")).length).toBeGreaterThanOrEqual(17);
    expect(tests.filter((t) => t.path.includes("(2)")).length).toBeGreaterThanOrEqual(17);
  });

  it("every Pester test passed", () => {
    const failed = tests.filter((t) => t.result !== "Passed").map((t) => `${t.path}: ${t.result} ${t.error ?? ""}`);
    expect(failed).toEqual([]);
  });
});
