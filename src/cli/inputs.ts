import { promises as fs } from "node:fs";
import * as path from "node:path";
import { JsonDocument, decodeText, parseJsonText, readJsonFile } from "../formats/json-source";
import { InputError } from "../errors";

/** Expands CLI paths: files as given, directories recursed for `*.json`, `-` for standard input. */
export async function collectFiles(paths: readonly string[]): Promise<{ file: string; explicit: boolean }[]> {
  const out: { file: string; explicit: boolean }[] = [];
  for (const p of paths) {
    if (p === "-") {
      out.push({ file: "-", explicit: true });
      continue;
    }
    let stat;
    try {
      stat = await fs.stat(p);
    } catch {
      throw new InputError(`${p}: no such file or directory`);
    }
    if (stat.isDirectory()) for (const f of await walk(p)) out.push({ file: f, explicit: false });
    else out.push({ file: p, explicit: true });
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(full)));
    else if (e.isFile() && e.name.toLowerCase().endsWith(".json")) out.push(full);
  }
  return out;
}

export async function readInput(file: string, maxBytes: number, stdin: NodeJS.ReadableStream = process.stdin): Promise<JsonDocument> {
  if (file !== "-") return readJsonFile(file, maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > maxBytes) throw new InputError(`<stdin>: input is over the ${maxBytes}-byte limit`);
    chunks.push(b);
  }
  return parseJsonText("<stdin>", decodeText(Buffer.concat(chunks)));
}
