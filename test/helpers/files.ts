import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseJsonText } from "../../src/formats/json-source";

export const ROOT = path.resolve(__dirname, "../..");
export const fixture = (name: string): string => path.join(ROOT, "test/fixtures", name);
export const example = (name: string): string => path.join(ROOT, "examples/fleet", name);

export function doc(file: string) {
  return parseJsonText(path.relative(ROOT, file), readFileSync(file, "utf8"));
}

/** The text of a 1-based line range of a file, to check a reported line points at the right rule. */
export function linesOf(file: string, from: number, count = 8): string {
  return readFileSync(file, "utf8")
    .split("\n")
    .slice(from - 1, from - 1 + count)
    .join("\n");
}
