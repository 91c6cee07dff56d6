import { promises as fs } from "node:fs";
import * as path from "node:path";
import { InputError } from "../errors";

/**
 * Writes a report atomically (temp file + rename), so an interrupted run never leaves half a
 * report, and refuses to overwrite one of the inputs.
 */
export async function writeOutput(target: string, content: string, inputs: readonly string[]): Promise<void> {
  const abs = path.resolve(target);
  if (inputs.some((i) => i !== "-" && path.resolve(i) === abs)) {
    throw new InputError(`${target}: refusing to write the report over one of the input files`);
  }
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}.tmp`);
  try {
    await fs.writeFile(tmp, content, "utf8");
    await fs.rename(tmp, abs);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new InputError(`${target}: cannot write report: ${(e as Error).message}`);
  }
}
