import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { ROOT } from "../helpers/files";

export const CLI = path.join(ROOT, "dist/src/cli/main.js");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns the built CLI (the `rdp-guard` bin) as a real process. `npm test` builds it first. */
export function runCli(
  args: string[],
  opts: { stdin?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' (npm test does) before the CLI tests`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: opts.env ? { ...opts.env, NO_COLOR: "1" } : { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? "");
  });
}
