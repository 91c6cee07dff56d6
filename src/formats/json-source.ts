import { promises as fs } from "node:fs";
import { ParseError, ParseErrorCode, parse as parseJsonc, printParseErrorCode } from "jsonc-parser";
import { InputError } from "../errors";
import { SourceLocation } from "../nsg/rules";

/** A JSON input: its parsed value and the text, kept to locate findings by JSON path. */
export interface JsonDocument {
  readonly file: string;
  readonly text: string;
  readonly value: unknown;
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
  return printParseErrorCode(code)
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
}

export async function readJsonFile(file: string, maxBytes: number): Promise<JsonDocument> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (e) {
    throw new InputError(
      `${file}: cannot read: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
  if (!stat.isFile()) throw new InputError(`${file}: not a regular file`);
  if (stat.size > maxBytes)
    throw new InputError(
      `${file}: ${stat.size} bytes is over the ${maxBytes}-byte input limit (raise it with --max-file-size)`,
    );
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read: ${(e as Error).message}`);
  }
  return parseJsonText(file, decodeText(bytes));
}

/**
 * Bytes to text by their byte-order mark: UTF-16LE is what `az ... > x.json` writes in Windows
 * PowerShell 5.1, UTF-16BE is rare but cheap to accept; everything else is UTF-8.
 */
export function decodeText(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString("utf16le");
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2)));
    swapped.swap16();
    return swapped.toString("utf16le");
  }
  return bytes.toString("utf8");
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

interface TrieNode {
  readonly children: Map<string | number, TrieNode>;
  locs?: SourceLocation[];
}

/**
 * Fills in line/column for locations that carry a JSON path, with one pass over the text. Done
 * only for findings, so clean inputs never pay for it. A hand-rolled scanner (strings, comments,
 * containers) walks a trie of the wanted paths: several times faster than a generic visitor on
 * the 100 MB exports fleets produce.
 */
export function resolveLocations(
  doc: JsonDocument,
  locations: readonly SourceLocation[],
): Map<SourceLocation, SourceLocation> {
  const root: TrieNode = { children: new Map() };
  let wanted = 0;
  for (const loc of locations) {
    if (!loc.jsonPath || loc.line !== undefined) continue;
    let node = root;
    for (const seg of loc.jsonPath) {
      let next = node.children.get(seg);
      if (!next) node.children.set(seg, (next = { children: new Map() }));
      node = next;
    }
    (node.locs ??= []).push(loc);
    wanted++;
  }
  const out = new Map<SourceLocation, SourceLocation>();
  if (wanted === 0) return out;

  interface Frame {
    array: boolean;
    node: TrieNode | undefined;
    index: number;
    key: string | undefined;
    expectKey: boolean;
  }
  const text = doc.text;
  const stack: Frame[] = [];
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = i + 1;
    } else if (c === 34) {
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        if (j === -1) return out;
        let backslashes = 0;
        while (text.charCodeAt(j - 1 - backslashes) === 92) backslashes++;
        if (backslashes % 2 === 0) break;
        j++;
      }
      const top = stack[stack.length - 1];
      if (top && !top.array && top.expectKey) {
        top.expectKey = false;
        if (top.node && top.node.children.size > 0) {
          const raw = text.slice(i + 1, j);
          top.key = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
        } else top.key = undefined;
      }
      i = j;
    } else if (c === 123 || c === 91) {
      const parent = stack[stack.length - 1];
      const node = !parent
        ? root
        : parent.array
          ? parent.node?.children.get(parent.index)
          : parent.key !== undefined
            ? parent.node?.children.get(parent.key)
            : undefined;
      if (c === 123 && node?.locs)
        for (const loc of node.locs) out.set(loc, { ...loc, line, column: i - lineStart + 1 });
      stack.push({ array: c === 91, node, index: 0, key: undefined, expectKey: c === 123 });
    } else if (c === 125 || c === 93) {
      stack.pop();
    } else if (c === 44) {
      const top = stack[stack.length - 1];
      if (top?.array) top.index++;
      else if (top) top.expectKey = true;
    } else if (c === 47) {
      // JSONC comments
      const n = text.charCodeAt(i + 1);
      if (n === 47) {
        const end = text.indexOf("\n", i);
        i = (end === -1 ? text.length : end) - 1;
      } else if (n === 42) {
        const end = text.indexOf("*/", i + 2);
        const stop = end === -1 ? text.length : end + 2;
        for (let k = i; k < stop; k++) {
          if (text.charCodeAt(k) === 10) {
            line++;
            lineStart = k + 1;
          }
        }
        i = stop - 1;
      }
    }
  }
  return out;
}
