import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { HardeningOptions } from "../../../src/baseline/options";
import { RenderOptions, renderHardeningScript } from "../../../src/baseline/render-online";
import { PesterTest, runPester } from "../../harness/pester";

/*
 * Runs online.Tests.ps1 (Pester 5, real pwsh) against the rendered online script on a simulated Windows
 * machine (SimulatedWindows.ps1). pwsh and Pester missing is a failure, never a skip.
 */
const SCRIPTS: Record<string, [HardeningOptions, RenderOptions]> = {
  enforce: [{}, { mode: "enforce" }],
  audit: [{}, { mode: "audit" }],
  reboot: [{}, { mode: "enforce", allowReboot: true }],
  stop: [{ stopConflictingService: true }, { mode: "enforce" }],
  port: [{ rdpPort: 3390 }, { mode: "enforce" }],
  // The managed Run Command delivery: the same template, comments and indentation kept.
  plain: [{}, { mode: "enforce", readable: true }],
};
const SUITE = path.join(__dirname, "online.Tests.ps1");
let tests: PesterTest[] = [];

beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), "rdpg-online-"));
  for (const [name, [o, r]] of Object.entries(SCRIPTS))
    writeFileSync(path.join(dir, `${name}.ps1`), renderHardeningScript(o, r));
  tests = runPester(SUITE, { ScriptDir: dir });
}, 300_000);

describe("online hardening script under Pester (simulated Windows)", () => {
  it("ran every It block of the suite (data-driven ones once per case)", () => {
    const source = readFileSync(SUITE, "utf8");
    const plain = (source.match(/^\s*It '/gm) ?? []).length;
    const cases = (/-ForEach @\(([\s\S]*?)\n\) \{/.exec(source)?.[1]?.match(/^\s*@\{ name = /gm) ?? []).length;
    expect(cases).toBeGreaterThanOrEqual(10);
    // The data-driven Describe has 3 Its, run once per case; 3 of `plain` belong to it.
    expect(tests.length).toBe(plain - 3 + 3 * cases);
  });

  it("every Pester test passed", () => {
    const failed = tests.filter((t) => t.result !== "Passed").map((t) => `${t.path}: ${t.result} ${t.error ?? ""}`);
    expect(failed).toEqual([]);
  });
});
