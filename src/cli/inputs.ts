import { promises as fs } from "node:fs";
import * as path from "node:path";
import { JsonDocument, decodeText, parseJsonText, readJsonFile } from "../formats/json-source";
import { InputError } from "../errors";

/** One input to read, or a path found in a directory that is listed as skipped (never silently). */
export interface CollectedFile {
  readonly file: string;
  readonly explicit: boolean;
  readonly skipped?: string;
}

/**
 * Expands CLI paths: files as given, directories recursed for `*.json`, `-` for standard input.
 * Symlinked files and folders are followed; a folder already visited (a link loop) and a file
 * already collected under another name are not read twice; a dangling link is listed as skipped.
 */
export async function collectFiles(paths: readonly string[]): Promise<CollectedFile[]> {
  const out: CollectedFile[] = [];
  const seenFiles = new Set<string>();
  const seenDirs = new Set<string>();
  const addFile = async (file: string, explicit: boolean): Promise<void> => {
    const real = await fs.realpath(file).catch(() => path.resolve(file));
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    out.push({ file, explicit });
  };
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
    if (stat.isDirectory()) await walk(p, seenDirs, out, addFile);
    else await addFile(p, true);
  }
  return out;
}

async function walk(
  dir: string,
  seenDirs: Set<string>,
  out: CollectedFile[],
  addFile: (f: string, explicit: boolean) => Promise<void>,
): Promise<void> {
  const real = await fs.realpath(dir);
  if (seenDirs.has(real)) return;
  seenDirs.add(real);
  const entries = await fs.readdir(dir, { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const full = path.join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const target = await fs.stat(full);
        isDir = target.isDirectory();
        isFile = target.isFile();
      } catch (err) {
        if (e.name.toLowerCase().endsWith(".json") || (err as NodeJS.ErrnoException).code === "ELOOP") {
          out.push({
            file: full,
            explicit: false,
            skipped: `symbolic link to ${await fs.readlink(full).catch(() => "?")} cannot be followed`,
          });
        }
        continue;
      }
    }
    if (isDir) await walk(full, seenDirs, out, addFile);
    else if (isFile && e.name.toLowerCase().endsWith(".json")) await addFile(full, false);
  }
}

export async function readInput(
  file: string,
  maxBytes: number,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<JsonDocument> {
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
