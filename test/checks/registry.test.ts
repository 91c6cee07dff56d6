import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checksTable, runbookTable, withChecksTable, withRunbookTable } from "../../scripts/docs-checks";
import { ALL_CHECKS } from "../../src/checks";
import { ROOT } from "../helpers/files";
import { fixturesOf } from "./fixtures";

/**
 * What a check must have (eslint's `checkRuleFiles`, compliance-policies' registration spec): its own
 * file named after id and name, exporting the camelCase name; a security severity; good and bad
 * fixtures with expected findings; a row in the README table. Each failure names what is missing.
 */
const CHECKS_SRC = path.join(ROOT, "src/checks");
const POLICIES = path.join(ROOT, "components/policies");
const camel = (kebab: string): string => kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const fileOf = (c: { id: string; name: string }): string => `${c.id.toLowerCase()}-${c.name}.ts`;

describe("check registry", () => {
  it("ids and names are unique and well-formed", () => {
    for (const c of ALL_CHECKS) {
      expect(c.id, c.id).toMatch(/^RDPG\d{3}$/);
      expect(c.name, `${c.id} name`).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    }
    expect(new Set(ALL_CHECKS.map((c) => c.id)).size).toBe(ALL_CHECKS.length);
    expect(new Set(ALL_CHECKS.map((c) => c.name)).size).toBe(ALL_CHECKS.length);
  });

  it("every check file is registered, and every check has its file", () => {
    const files = readdirSync(CHECKS_SRC)
      .filter((f) => /^rdpg\d{3}-/.test(f))
      .sort();
    expect(files, "src/checks/rdpgNNN-*.ts files vs ALL_CHECKS").toEqual(ALL_CHECKS.map(fileOf).sort());
  });

  it.each(ALL_CHECKS.map((c) => [c.id, c] as const))(
    "%s: file, exported name and policy name follow its name",
    async (_id, c) => {
      const mod = (await import(path.join(CHECKS_SRC, fileOf(c)))) as Record<string, unknown>;
      expect(Object.keys(mod), `${fileOf(c)} exports`).toEqual([camel(c.name)]);
      expect(mod[camel(c.name)]).toBe(c);
      const policyFile = path.join(POLICIES, `${c.name}.ts`);
      if (existsSync(policyFile)) {
        const policy = ((await import(policyFile)) as Record<string, { name?: string }>)[camel(c.name)];
        const what = `components/policies/${c.name}.ts exports ${camel(c.name)} named ${c.name}`;
        expect(policy?.name, what).toBe(c.name);
      }
    },
  );

  it("every policy file is named after the check it carries", () => {
    const files = readdirSync(POLICIES).filter(
      (f) => f.endsWith(".ts") && !["index.ts", "pulumi-props.ts"].includes(f),
    );
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      expect(
        ALL_CHECKS.map((c) => c.name),
        `components/policies/${f}`,
      ).toContain(f.replace(/(-standalone)?\.ts$/, ""));
    }
  });

  it.each(ALL_CHECKS.map((c) => [c.id, c] as const))("%s: metadata and SARIF security-severity", (_id, c) => {
    for (const field of ["title", "rationale", "help"] as const)
      expect(c[field].trim(), `${c.id}.${field}`).not.toBe("");
    expect(c.securitySeverity, `${c.id}.securitySeverity`).toMatch(/^(10\.0|\d\.\d)$/);
  });

  it.each(ALL_CHECKS.map((c) => [c.id, c] as const))("%s: builds its own findings (a *finding function)", (_id, c) => {
    // The check's file words its findings; a check with metadata only leaves its message to some other module.
    const builders = Object.entries(c).filter(([k, v]) => typeof v === "function" && /(^f|F)inding$/.test(k));
    expect(builders.length, `${fileOf(c)} exports no finding builder`).toBeGreaterThan(0);
  });

  it.each(ALL_CHECKS.map((c) => [c.id] as const))("%s: good and bad fixtures with expected findings", (id) => {
    const fx = fixturesOf(id);
    const positives = [...fx.iac.positive, ...fx.fleet.positive];
    expect(positives.length, `test/checks/${id}/positive*.json`).toBeGreaterThan(0);
    expect(fx.iac.negative.length + fx.fleet.negative.length, `test/checks/${id}/negative*.json`).toBeGreaterThan(0);
    expect(fx.expected, `test/checks/${id}/expected.json`).toBeDefined();
    for (const p of positives)
      expect(
        fx.expected!.some((e) => e.file === p),
        `${id}/expected.json lists ${p}`,
      ).toBe(true);
    for (const e of fx.expected!) {
      expect(positives, `${id}/expected.json names a positive file`).toContain(e.file);
      if (fx.iac.positive.includes(e.file)) expect(e.line, `${id}/${e.file}: expected line`).toBeGreaterThan(0);
    }
  });

  it("README's findings table is generated from the checks (run `npm run docs:checks`)", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme, "README.md is out of date: run `npm run docs:checks`").toBe(withChecksTable(readme));
    for (const c of ALL_CHECKS) expect(checksTable(), `README row for ${c.id}`).toContain(`| ${c.id} |`);
  });

  it("README's runbook table is generated from the baseline data, every row traced to a runbook step", () => {
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme, "README.md is out of date: run `npm run docs:checks`").toBe(withRunbookTable(readme));
    const rows = runbookTable().split("\n").slice(2);
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect(row, "a row without its runbook step").toMatch(/\| (Step|Offline repair)[^|]+ \|$/);
  });
});

describe("README table renderer", () => {
  it("escapes pipes and refuses a README without markers", () => {
    const table = checksTable([{ ...ALL_CHECKS[0]!, help: "a | b" }]);
    expect(table).toContain("a \\| b");
    expect(() => withChecksTable("# no markers\n")).toThrow(/markers/);
  });
});
