import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { OPTIONS, hours, portList, wholeNumber } from "../../src/cli/options";
import { COMMANDS, runCli } from "../../src/cli/program";
import { ROOT } from "../helpers/files";

/** The CLI surface: one declaration per option, one parser, one way to fail (exit 2, one line). */

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), isTty: false }, {});
  return { code, stdout, stderr };
}

const usesOf = (key: string) =>
  COMMANDS.filter((c) => c.options.some((o) => (typeof o === "string" ? o : o.key) === key));

describe("option parsers", () => {
  it("--max-age-hours accepts positive decimals and rejects everything Number() would let through", () => {
    const parse = hours("--max-age-hours");
    expect(parse("24")).toBe(24);
    expect(parse("0.5")).toBe(0.5);
    for (const bad of ["abc", "NaN", "Infinity", "0", "-1", "1e3", "", " ", "0x10", "24h"]) {
      expect(() => parse(bad), bad).toThrow(/^--max-age-hours: '.*' is not a positive number of hours$/);
    }
  });

  it("whole numbers and ports are strict too", () => {
    expect(wholeNumber("--concurrency", 1, 64)("64")).toBe(64);
    for (const bad of ["0", "65", "1.5", "abc", "-3"])
      expect(() => wholeNumber("--concurrency", 1, 64)(bad)).toThrow(/must be 1-64/);
    expect(portList("--rdp-ports")("3389, 3390")).toEqual([3389, 3390]);
    expect(() => portList("--rdp-ports")("3389,70000")).toThrow(/'70000' is not a port/);
  });
});

describe("the declaration table", () => {
  it("each option's key is the name commander stores its value under", () => {
    for (const [key, spec] of Object.entries(OPTIONS)) {
      const long = /--(?:no-)?([a-z0-9-]+)/.exec(spec.flags)![1]!;
      expect(
        long.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
        spec.flags,
      ).toBe(key);
    }
  });

  it("no command file declares options or imports another command", () => {
    const commands = ["scan", "audit", "plan", "remediate", "repair"];
    for (const file of readdirSync(path.join(ROOT, "src/cli")).filter((f) => f.endsWith(".ts") && f !== "program.ts")) {
      const src = readFileSync(path.join(ROOT, "src/cli", file), "utf8");
      expect(src, `src/cli/${file} imports commander`).not.toMatch(/from "commander"/);
      for (const c of commands)
        expect(src, `src/cli/${file} imports ./${c}`).not.toMatch(new RegExp(`from "\\./${c}"`));
    }
  });

  it("every option is taken by some command", () => {
    for (const key of Object.keys(OPTIONS)) expect(usesOf(key).length, key).toBeGreaterThan(0);
  });
});

describe("bad option values exit 2 with one line, the same way for every command", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "rdpg-options-"));
  const stalePlan = path.join(dir, "plan.json");
  // A plan created six years ago: only the age gate stands between it and a repair.
  writeFileSync(
    stalePlan,
    JSON.stringify({
      version: 1,
      kind: "rdp-guard-plan",
      id: "plan-old",
      createdAt: "2020-01-01T00:00:00Z",
      vms: [],
      nsgFixes: [],
    }),
  );

  it("repair/remediate --max-age-hours abc no longer accept a stale plan (D1)", async () => {
    for (const cmd of ["repair", "remediate"]) {
      const r = await run([cmd, "--plan", stalePlan, "--max-age-hours", "abc", "--dry-run"]);
      expect(r, cmd).toEqual({
        code: 2,
        stdout: "",
        stderr: "rdp-guard: --max-age-hours: 'abc' is not a positive number of hours\n",
      });
      const stale = await run([cmd, "--plan", stalePlan, "--dry-run"]);
      expect(stale.code, cmd).toBe(2);
      expect(stale.stderr, cmd).toMatch(
        /^rdp-guard: .*plan\.json: stale: createdAt 2020-01-01T00:00:00.000Z is \d+\.\d h old \(limit 24 h\)/,
      );
    }
  });

  it.each(
    Object.entries({
      maxAgeHours: ["--max-age-hours", "abc"],
      format: ["--format", "xml"],
      failOn: ["--fail-on", "sometimes"],
      concurrency: ["--concurrency", "0"],
      armEndpoint: ["--arm-endpoint", "http://insecure"],
      tag: ["--tag", "novalue"],
      subscription: ["--subscription", "not-a-guid"],
      extensionName: ["--extension-name", "a/b"],
      maxFileSize: ["--max-file-size", "big"],
      rdpPorts: ["--rdp-ports", "x"],
      stack: ["--stack", "a b"],
    }),
  )("%s: every command taking it rejects a bad value with the same line", async (key, [flag, bad]) => {
    const lines = new Set<string>();
    for (const c of usesOf(key)) {
      const args = [c.name, ...(c.argument ? ["x"] : []), flag!, bad!];
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.split("\n").filter(Boolean), args.join(" ")).toHaveLength(1);
      lines.add(r.stderr);
    }
    expect([...lines]).toEqual([
      expect.stringMatching(new RegExp(`^rdp-guard: ${flag}: '${bad!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}' `)),
    ]);
  });

  it("commander's own usage errors read the same way", async () => {
    expect(await run(["scan", "x", "--colour"])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^rdp-guard: unknown option '--colour'/),
    });
    expect(await run(["repair"])).toMatchObject({
      code: 2,
      stderr: "rdp-guard: required option '--plan <file>' not specified\n",
    });
  });
});
