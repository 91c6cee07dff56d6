import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { DEFAULT_HARDENING } from "../src/baseline/options";
import { actionSteps, registrySettings } from "../src/baseline/settings";
import { ALL_CHECKS, CheckDefinition } from "../src/checks";

/**
 * Renders the README's findings table from the checks (`npm run docs:checks`), between two markers,
 * so the table cannot miss a check; `test/checks/registry.test.ts` fails when README is out of date.
 */
export const BEGIN = "<!-- checks:begin (generated from src/checks by `npm run docs:checks`; do not edit) -->";
export const END = "<!-- checks:end -->";

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function checksTable(checks: readonly CheckDefinition[] = ALL_CHECKS): string {
  const rows = checks.map((c) => {
    const severity = c.severityNote ? `${c.severity} (${c.severityNote})` : c.severity;
    return `| ${c.id} | \`${c.name}\` | ${cell(severity)} | ${cell(c.title)}: ${cell(c.rationale)} | ${cell(c.help)} |`;
  });
  return ["| id | name | severity | meaning | fix |", "|---|---|---|---|---|", ...rows].join("\n");
}

export const RUNBOOK_BEGIN =
  "<!-- runbook:begin (generated from src/baseline/settings.ts by `npm run docs:checks`; do not edit) -->";
export const RUNBOOK_END = "<!-- runbook:end -->";

/** What the default baseline sets or does, each traced to the runbook step it comes from (the `seed` data). */
export function runbookTable(): string {
  const rows = [
    ...registrySettings(DEFAULT_HARDENING).map(
      (r) => `| \`${r.id}\` | \`${cell(r.key)}\\${cell(r.name)}\` = \`${r.value}\` | ${cell(r.seed)} |`,
    ),
    ...actionSteps(DEFAULT_HARDENING)
      .filter((a) => a.enabled)
      .map((a) => `| \`${a.id}\` | action | ${cell(a.seed)} |`),
  ];
  return ["| id | what (HKLM\\SYSTEM\\CurrentControlSet\\…) | runbook step |", "|---|---|---|", ...rows].join("\n");
}

function withRegion(readme: string, begin: string, end: string, table: string): string {
  const b = readme.indexOf(begin);
  const e = readme.indexOf(end);
  if (b < 0 || e < b) throw new Error(`README.md: markers ${begin} ... ${end} not found`);
  return `${readme.slice(0, b + begin.length)}\n${table}\n${readme.slice(e)}`;
}

/** `readme` with the text between the markers replaced by `table`; throws when the markers are missing. */
export function withChecksTable(readme: string, table: string = checksTable()): string {
  return withRegion(readme, BEGIN, END, table);
}

/** `readme` with the runbook trace table regenerated from the baseline data. */
export function withRunbookTable(readme: string, table: string = runbookTable()): string {
  return withRegion(readme, RUNBOOK_BEGIN, RUNBOOK_END, table);
}

if (require.main === module) {
  const file = path.resolve(__dirname, "../../README.md");
  const before = readFileSync(file, "utf8");
  const after = withRunbookTable(withChecksTable(before));
  if (after !== before) writeFileSync(file, after);
  process.stdout.write(
    `README.md: generated tables ${after === before ? "already up to date" : "updated"} ` +
      `(${ALL_CHECKS.length} checks)\n`,
  );
}
