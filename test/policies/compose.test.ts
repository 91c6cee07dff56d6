import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyPackProcess, ResourceSpec, nativeNsg, rdpRule } from "../harness/analyzer";
import { ROOT } from "../helpers/files";

/*
 * A user's own pack composed from `azure-rdp-guard/policies` (by package name), run in the real
 * policy host: the builder's config applies, and config set on the policy at run time overrides it.
 */
function userPack(indexJs: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "rdpg-compose-"));
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  writeFileSync(path.join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "my-pack", version: "1.2.3", main: "index.js" }),
  );
  writeFileSync(path.join(dir, "index.js"), indexJs);
  return dir;
}
const nsg = (port: string): ResourceSpec => nativeNsg([rdpRule({ destinationPortRange: port })]);

describe("a pack composed from azure-rdp-guard/policies (real policy host)", () => {
  let dir: string;
  let pack: PolicyPackProcess;
  beforeAll(async () => {
    dir = userPack(`const { PolicyPack } = require("@pulumi/policy");
const { rdpGuardPolicies } = require("azure-rdp-guard/policies");
new PolicyPack("my-pack", { policies: rdpGuardPolicies({ rdpPorts: [3390], enforcementLevel: "advisory" }) });
`);
    pack = await PolicyPackProcess.start(dir);
  });
  afterAll(async () => {
    await pack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("takes its config and enforcement level from the builder", async () => {
    const info = await pack.info();
    expect(info.getName()).toBe("my-pack");
    expect(info.getVersion()).toBe("1.2.3");
    expect(info.getPoliciesList().map((p) => p.getEnforcementlevel())).toEqual([0, 0, 0, 0]); // all ADVISORY
    const on3390 = (await pack.analyze(nsg("3390"))).filter((d) => d.policyName === "nsg-no-internet-rdp");
    expect(on3390).toHaveLength(1);
    expect(on3390[0]!.message).toContain("[RDPG001]");
    expect(on3390[0]!.enforcementLevel).toBe("advisory");
    expect(await pack.analyze(nsg("3389"))).toEqual([]);
  });

  it("lets policy config from the host override the builder's", async () => {
    await pack.configure({ "nsg-no-internet-rdp": { enforcementLevel: "mandatory", rdpPorts: [3389] } });
    const ds = (await pack.analyze(nsg("3389"))).filter((d) => d.policyName === "nsg-no-internet-rdp");
    expect(ds.map((d) => d.enforcementLevel)).toEqual(["mandatory"]);
  });
});

describe("a bad builder config", () => {
  it("stops the pack at load with one message naming the field", async () => {
    const dir = userPack(`const { PolicyPack } = require("@pulumi/policy");
const { rdpGuardPolicies } = require("azure-rdp-guard/policies");
new PolicyPack("my-pack", { policies: rdpGuardPolicies({ rdpPorts: [0] }) });
`);
    try {
      const failure = await PolicyPackProcess.start(dir).then(
        async (p) => {
          await p.stop();
          return "started";
        },
        (e: Error) => e.message,
      );
      expect(failure).toMatch(/rdpGuardPolicies options: invalid configuration: rdpPorts\[0\]: must be >= 1/);
      expect(failure).not.toMatch(/\n\s+at /); // the host hides the stack of a RunError
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
