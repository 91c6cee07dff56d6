import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeArmServer } from "../harness/fake-arm";
import { SUB_A, SUB_B, scenarioFleet } from "../harness/fake-fleet";
import { runCli } from "../harness/cli";

let server: FakeArmServer;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await FakeArmServer.start(scenarioFleet());
  dir = mkdtempSync(path.join(tmpdir(), "rdp-guard-fleet-cli-"));
  const ca = path.join(dir, "ca.pem");
  writeFileSync(ca, server.ca);
  env = { AZURE_ACCESS_TOKEN: "cli-test-token", PATH: "/usr/bin:/bin" };
  (globalThis as { caFile?: string }).caFile = ca;
});
afterAll(async () => server?.stop());

const azureArgs = () => ["--arm-endpoint", server.url, "--ca-file", (globalThis as { caFile?: string }).caFile!, "--subscription", SUB_A, "--subscription", SUB_B];

describe("rdp-guard audit / plan / remediate (real process, fake ARM)", () => {
  it("audit prints per-VM states and exits 1 on exposed or unreachable VMs", async () => {
    const r = await runCli(["audit", ...azureArgs()], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^EXPOSED\s+vm-exposed .*nsg-open\/open-rdp/m);
    expect(r.stdout).toMatch(/^COMPLIANT\s+vm-shielded/m);
    expect(r.stdout).toMatch(/10 VM\(s\): 2 compliant, 1 drifted, 1 unhardened, 3 exposed, 2 unreachable, 1 not Windows/);
  });

  it("audit --format sarif carries the VM findings", async () => {
    const r = await runCli(["audit", ...azureArgs(), "--format", "sarif", "--fail-on", "never"], { env });
    expect(r.code).toBe(0);
    const ids = JSON.parse(r.stdout).runs[0].results.map((x: { ruleId: string }) => x.ruleId);
    expect(ids).toEqual(expect.arrayContaining(["RDPG001", "RDPG020", "RDPG021"]));
  });

  it("audit json -> plan -> remediate stops at the missing Pulumi CLI with one line", async () => {
    const auditFile = path.join(dir, "audit.json");
    const a = await runCli(["audit", ...azureArgs(), "--format", "json", "--output", auditFile], { env });
    expect(a.code).toBe(1);
    const planFile = path.join(dir, "plan.json");
    const p = await runCli(["plan", "--audit-file", auditFile, "--output", planFile], { env });
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/online-rerun\s+vm-drift/);
    expect(p.stdout).toMatch(/1 online re-run\(s\), 1 NSG fix\(es\), 1 offline repair\(s\), 3 skipped/);
    expect(JSON.parse(readFileSync(planFile, "utf8")).kind).toBe("rdp-guard-plan");
    const rem = await runCli(["remediate", "--plan", planFile, "--dry-run"], { env: { ...env, HOME: dir } });
    expect(rem.code).toBe(2);
    expect(rem.stderr.trim().split("\n").pop()).toBe("rdp-guard: the Pulumi CLI is not installed (no `pulumi` on PATH or in ~/.pulumi/bin): install it from https://www.pulumi.com/docs/install/ and run again");
  });

  it("bad input exits 2 with a clear line", async () => {
    const noSub = await runCli(["audit", "--arm-endpoint", server.url], { env });
    expect(noSub.code).toBe(2);
    expect(noSub.stderr).toMatch(/pass --subscription <id>/);
    const badTag = await runCli(["audit", ...azureArgs(), "--tag", "novalue"], { env });
    expect(badTag.stderr).toMatch(/--tag: 'novalue' must be key=value/);
    const stale = path.join(dir, "stale.json");
    writeFileSync(stale, JSON.stringify({ version: 1, kind: "rdp-guard-audit", generatedAt: "2020-01-01T00:00:00Z", vms: [], nsgs: [] }));
    const s = await runCli(["plan", "--audit-file", stale], { env });
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/stale\.json: stale: generatedAt 2020-01-01T00:00:00.000Z is \d+\.\d h old/);
  });

  it("an Azure error is one line naming the request", async () => {
    // A subscription the fake ARM server answers with an error for every instance view.
    const r = await runCli(["audit", "--arm-endpoint", `${server.url}/broken`, "--ca-file", (globalThis as { caFile?: string }).caFile!, "--subscription", SUB_A], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^rdp-guard: Azure request failed on POST https:\/\/127\.0\.0\.1:\d+\/broken\/providers\/Microsoft\.ResourceGraph\/resources \(404 NotFound\)/);
  });
});
