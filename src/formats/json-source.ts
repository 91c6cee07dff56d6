import { promises as fs } from "node:fs";
import { ParseError, ParseErrorCode, parse as parseJsonc, printParseErrorCode, visit } from "jsonc-parser";
import { SourceLocation } from "../nsg/rules";

/** A JSON input: its parsed value and the text, kept to locate findings by JSON path. */
export interface JsonDocument {
  readonly file: string;
  readonly text: string;
  readonly value: unknown;
}

/** Bad input: the CLI prints the message and exits 2, without a stack trace. */
export class InputError extends Error {
  override readonly name = "InputError";
}

/** Parses JSON text; invalid JSON is an InputError naming the file, line and column. */
export function parseJsonText(file: string, text: string): JsonDocument {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === "") throw new InputError(`${file}: file is empty`);
  if (body.includes("\u0000")) throw new InputError(`${file}: binary file (contains NUL bytes), not JSON`);
  try {
    return { file, text: body, value: JSON.parse(body) };
  } catch {
    // JSON.parse is fast but strict and vague. ARM templates may carry comments, so accept JSONC,
    // and otherwise report the exact position of the first error.
    const errors: ParseError[] = [];
    const value: unknown = parseJsonc(body, errors, { allowTrailingComma: true, disallowComments: false });
    if (errors.length === 0) return { file, text: body, value };
    const first = errors[0];
    if (!first) throw new InputError(`${file}: invalid JSON`);
    const { line, column } = lineColumn(body, first.offset);
    throw new InputError(`${file}:${line}:${column}: invalid JSON: ${describe(first.error)}`);
  }
}

function describe(code: ParseErrorCode): string {
  return printParseErrorCode(code).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

export async function readJsonFile(file: string, maxBytes: number): Promise<JsonDocument> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  if (!stat.isFile()) throw new InputError(`${file}: not a regular file`);
  if (stat.size > maxBytes) throw new InputError(`${file}: ${stat.size} bytes is over the ${maxBytes}-byte input limit (raise it with --max-file-size)`);
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    throw new InputError(`${file}: cannot read: ${(e as Error).message}`);
  }
  return parseJsonText(file, text);
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    last = i;
  }
  return { line, column: offset - last };
}

const keyOf = (path: readonly (string | number)[]): string => path.join("\u0000");

/**
 * Fills in line/column for locations that carry a JSON path, with one streaming pass over the text.
 * Done only for findings, so large clean inputs never pay for it.
 */
export function resolveLocations(doc: JsonDocument, locations: readonly SourceLocation[]): Map<SourceLocation, SourceLocation> {
  const wanted = new Map<string, SourceLocation[]>();
  for (const loc of locations) {
    if (!loc.jsonPath || loc.line !== undefined) continue;
    const k = keyOf(loc.jsonPath);
    wanted.set(k, [...(wanted.get(k) ?? []), loc]);
  }
  const out = new Map<SourceLocation, SourceLocation>();
  if (wanted.size === 0) return out;
  visit(doc.text, {
    onObjectBegin: (_offset, _length, startLine, startCharacter, pathSupplier) => {
      const hits = wanted.get(keyOf(pathSupplier()));
      if (hits) for (const loc of hits) out.set(loc, { ...loc, line: startLine + 1, column: startCharacter + 1 });
    },
  });
  return out;
}
