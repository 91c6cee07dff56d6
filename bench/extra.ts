import { SdkFleetSource, staticTokenCredential } from "../src/azure/sdk-source";
import { CMD_LINE_LIMIT, encodeHardeningCommand } from "../src/baseline/encode";
import { DEFAULT_CONFIG } from "../src/config";
import { auditFleet } from "../src/fleet/audit";
import { FakeArmServer } from "../test/harness/fake-arm";
import { SUB_A, SUB_B, largeFleet } from "../test/harness/fake-fleet";
import { renderHardeningScript } from "../src/baseline/render-online";
import { LARGEST, everyCombination } from "../test/baseline/arbitraries";

type Line = (label: string, value: string, goal: string) => void;

/**
 * CustomScript command length: default options, every option at its largest, and the range over all 512
 * combinations of the switches and run options (widest port and day numbers), with the headroom left.
 */
export async function extraBenchmarks(line: Line): Promise<void> {
  for (const [label, opts, allowReboot] of [
    ["default options", {}, false],
    ["largest option set", LARGEST, true],
  ] as const) {
    const script = renderHardeningScript(opts, { mode: "enforce", allowReboot, version: "0.1.0" });
    const command = encodeHardeningCommand(script);
    line(`component: encoded command, ${label}`, `${command.length} chars`, `<= ${CMD_LINE_LIMIT}`);
    console.log(`  (script ${script.length} chars, ${(script.length / command.length).toFixed(2)}x packing)`);
  }
  const lengths: number[] = [];
  for (const { options, mode, allowReboot } of everyCombination()) {
    const script = renderHardeningScript(options, { mode, allowReboot, version: "0.1.0" });
    lengths.push(encodeHardeningCommand(script).length);
  }
  const max = Math.max(...lengths);
  const range = `${Math.min(...lengths)}-${max} chars`;
  line("component: encoded command, all 512 combinations", range, `<= ${CMD_LINE_LIMIT}`);
  console.log(`  (headroom ${CMD_LINE_LIMIT - max} chars for the longest)`);
}

/**
 * Audit of a 5,000-VM fleet served by the fake ARM server over HTTPS with 2 ms latency per request,
 * every 4th Resource Graph request answered 429 (quota headers only, resets after 1 s): wall time, peak RSS,
 * requests in flight.
 */
export async function auditBenchmark(line: Line): Promise<void> {
  const fleet = largeFleet(5000);
  const server = await FakeArmServer.start(fleet, { latencyMs: 2, throttleEvery: 4, resetsAfterSeconds: 1 });
  try {
    const source = new SdkFleetSource({
      credential: staticTokenCredential("bench"),
      endpoint: server.url,
      ca: server.ca,
    });
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const doc = await auditFleet(
      source,
      { subscriptions: [SUB_A, SUB_B], managementGroups: [], resourceGroups: [], tags: [] },
      { config: DEFAULT_CONFIG, concurrency: 32 },
    );
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    line("audit: 5,000 VMs via fake ARM (2 ms latency, 429s), wall time", `${secs.toFixed(2)} s`, "");
    line("audit: VMs/s", Math.round(doc.vms.length / secs).toLocaleString("en-US"), "");
    // CPU time of client + fake server: comparable across runs on a busy machine, unlike wall time.
    line("audit: CPU time (user + system, incl. fake server)", `${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`, "");
    line("audit: peak RSS (bench process, incl. fake server)", `${(peak / 1048576).toFixed(0)} MB`, "");
    console.log(
      `  (${source.stats.graphPages} Resource Graph pages, ${source.stats.instanceViews} instance views, ` +
        `${server.graph.stats.throttled} throttled (429, quota headers only) and retried, ` +
        `max ${server.stats.maxInFlight} requests in flight with a pool of 32)`,
    );
  } finally {
    await server.stop();
  }
}
