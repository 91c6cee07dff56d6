import { CMD_LINE_LIMIT, encodeHardeningCommand } from "../src/baseline/encode";
import { HardeningOptions } from "../src/baseline/options";
import { renderHardeningScript } from "../src/baseline/render-online";

type Line = (label: string, value: string, goal: string) => void;

/** Encoded CustomScript command length: default options and every option at its largest. */
export async function extraBenchmarks(line: Line): Promise<void> {
  const largest: HardeningOptions = {
    legacyTls: true, securityLayer: "tls", certMinValidDays: 3650, rdpPort: 65535, stopConflictingService: true,
    serialConsole: true, crashDump: true, machineKeysAcl: true, renewCertificate: true, disableGroupPolicyTemporarily: true,
  };
  for (const [label, opts, allowReboot] of [["default options", {}, false], ["largest option set", largest, true]] as const) {
    const script = renderHardeningScript(opts, { mode: "enforce", allowReboot, version: "0.1.0" });
    const command = encodeHardeningCommand(script);
    line(`component: encoded command, ${label}`, `${command.length} chars`, `<= ${CMD_LINE_LIMIT}`);
    console.log(`  (script ${script.length} chars, ${(script.length / command.length).toFixed(2)}x packing)`);
  }
}
