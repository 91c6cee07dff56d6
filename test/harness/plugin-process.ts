import { ChildProcessWithoutNullStreams, spawn, SpawnOptionsWithoutStdio } from "node:child_process";

export interface PluginProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly port: number;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
}

/**
 * Starts a Pulumi plugin the way the engine does (the policy host, a component provider): the first
 * stdout line is the gRPC port it listens on. `what` names it in the error when it exits before that.
 */
export async function startPluginProcess(
  args: string[],
  opts: SpawnOptionsWithoutStdio,
  what: string,
): Promise<PluginProcess> {
  const child = spawn(process.execPath, args, opts);
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve(Number(line.trim()));
    });
    child.on("exit", (code) =>
      reject(new Error(`${what} exited with ${code} before printing its port:\n${err}\n${out}`)),
    );
  });
  if (!Number.isInteger(port) || port <= 0) throw new Error(`${what} printed no port: ${port}\n${err}`);
  return { child, port, stderr: () => err };
}
