import { readFileSync } from "node:fs";
import * as path from "node:path";
import { ProviderProcess } from "../test/harness/provider-host";

/*
 * The component package's provider as the engine starts it (`node run-plugin <plugin dir> <engine>`):
 * time to its port line, the first GetSchema round trip (the schema is inferred from the TypeScript
 * source on first request) and a second, cached one; with the provider's CPU time, since wall time on
 * a shared machine says little on its own. One run: the figures go into the README.
 */
const ROOT = path.resolve(__dirname, "../..");

function cpuMs(pid: number): number {
  // /proc/<pid>/stat fields 14 and 15: utime and stime in clock ticks (100 per second on Linux).
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

type Line = (label: string, value: string, goal: string) => void;

export async function componentProviderBenchmark(line: Line): Promise<void> {
  const pluginDir = path.join(ROOT, "components/provider");
  const p = await ProviderProcess.start({ pluginDir, engineAddress: "127.0.0.1:1" });
  try {
    const cpuStart = cpuMs(p.pid);
    let t0 = performance.now();
    await p.getSchema();
    const first = performance.now() - t0;
    const cpuSchema = cpuMs(p.pid) - cpuStart;
    t0 = performance.now();
    await p.getSchema();
    const cached = performance.now() - t0;
    line("component provider: start (spawn to port line)", `${p.startMs.toFixed(0)} ms (${cpuStart} ms CPU)`, "");
    line("component provider: first GetSchema round trip", `${first.toFixed(0)} ms (${cpuSchema} ms CPU)`, "");
    line("component provider: cached GetSchema round trip", `${cached.toFixed(1)} ms`, "");
  } finally {
    await p.stop();
  }
}
