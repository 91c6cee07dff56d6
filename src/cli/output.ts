import { promises as fs } from "node:fs";
import * as path from "node:path";
import { InputError } from "../errors";

/** The real path a write to `target` lands on: symlinks resolved, also when the file does not exist yet. */
async function realTarget(target: string): Promise<string> {
  const abs = path.resolve(target);
  try {
    return await fs.realpath(abs);
  } catch {
    try {
      return path.join(await fs.realpath(path.dirname(abs)), path.basename(abs));
    } catch {
      return abs;
    }
  }
}

/**
 * Refuses a report path that is one of the inputs, compared by real path: through a symlink, as a
 * file inside a scanned directory, or as the --config/--parameters file. Every command that writes
 * `--output` passes every file it read.
 */
export async function assertNotAnInput(target: string, inputs: readonly (string | undefined)[]): Promise<string> {
  const real = await realTarget(target);
  for (const input of inputs) {
    if (input === undefined || input === "-") continue;
    if ((await realTarget(input)) === real) {
      throw new InputError(`${target}: refusing to write the report over one of the input files (${input})`);
    }
  }
  try {
    if ((await fs.stat(real)).isDirectory())
      throw new InputError(`${target}: is a directory; give a file name for the report`);
  } catch (e) {
    if (e instanceof InputError) throw e;
  }
  return real;
}

/**
 * Writes a report atomically (temp file + rename), so an interrupted run never leaves half a
 * report, and refuses to overwrite one of the inputs.
 */
export async function writeOutput(
  target: string,
  content: string,
  inputs: readonly (string | undefined)[],
): Promise<void> {
  const abs = await assertNotAnInput(target, inputs);
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}.tmp`);
  try {
    await fs.writeFile(tmp, content, "utf8");
    await fs.rename(tmp, abs);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new InputError(`${target}: cannot write report: ${(e as Error).message}`);
  }
}
