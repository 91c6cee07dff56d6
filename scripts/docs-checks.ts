import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
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

/** `readme` with the text between the markers replaced by `table`; throws when the markers are missing. */
export function withChecksTable(readme: string, table: string = checksTable()): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md: markers ${BEGIN} ... ${END} not found`);
  return `${readme.slice(0, begin + BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}

if (require.main === module) {
  const file = path.resolve(__dirname, "../../README.md");
  const before = readFileSync(file, "utf8");
  const after = withChecksTable(before);
  if (after !== before) writeFileSync(file, after);
  process.stdout.write(
    `README.md: findings table ${after === before ? "already up to date" : "updated"} (${ALL_CHECKS.length} checks)\n`,
  );
}
