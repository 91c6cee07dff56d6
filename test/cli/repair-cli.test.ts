import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkTokenLifetime } from "../../src/cli/repair";
import { DEFAULT_CONFIG } from "../../src/config";
import { RemediationPlan } from "../../src/fleet/plan";
import { FakeArmServer } from "../harness/fake-arm";
import { FakeCompute } from "../harness/fake-compute";
import { FleetBuilder, SUB_A } from "../harness/fake-fleet";
import { runCli } from "../harness/cli";

const RG = "rg-broken";
let server: FakeArmServer;
let compute: FakeCompute;
let dir: string;
let planFile: string;
let plan: RemediationPlan;
let vmId: string;
let diskId: string;

/** An unsigned JWT with this `exp` (seconds): the CLI reads exp, the fake accepts any bearer token. */
const jwt = (exp: number) =>
  ["e30", Buffer.from(JSON.stringify({ aud: "https://management.azure.com", exp })).toString("base64url"), "sig"].join(
    ".",
  );
const env = { AZURE_ACCESS_TOKEN: jwt(Math.floor(Date.now() / 1000) + 6 * 3600), PATH: "/usr/bin:/bin" };

beforeAll(async () => {
  const f = new FleetBuilder();
  const nsg = f.nsg(SUB_A, RG, "nsg", []);
  const net = f.vnet(SUB_A, RG, "vnet", [{ name: "app", nsgId: nsg }]);
  f.vm({ sub: SUB_A, rg: RG, name: "vm-broken", subnetId: net.get("app")!, agentReady: false, hardening: {} });
  const fleet = f.build();
  fleet.instanceViews.clear();
  compute = new FakeCompute(fleet);
  // A separate process polls with the SDK's 2 s default: answer synchronously (ARM allows it) to keep this fast.
  compute.syncLro = true;
  server = await FakeArmServer.start(fleet, { extraRoutes: compute.route });
  ({ vmId, diskId } = compute.seedBrokenVm(SUB_A, RG, "vm-broken", { subnetId: net.get("app")! }));
  dir = mkdtempSync(path.join(tmpdir(), "rdp-guard-repair-cli-"));
  plan = {
    version: 1,
    kind: "rdp-guard-plan",
    id: "0123456789ab",
    createdAt: new Date().toISOString(),
    auditGeneratedAt: new Date().toISOString(),
    config: DEFAULT_CONFIG,
    nsgFixes: [],
    vms: [
      {
        id: vmId,
        name: "vm-broken",
        subscriptionId: SUB_A,
        resourceGroup: RG,
        location: "westeurope",
        actions: ["offline-repair"],
        why: ["agent not ready"],
        nsgFixIds: [],
      },
    ],
  };
  planFile = path.join(dir, "plan.json");
  writeFileSync(planFile, JSON.stringify(plan));
  writeFileSync(path.join(dir, "ca.pem"), server.ca);
});
afterAll(async () => server?.stop());

const azure = () => ["--arm-endpoint", server.url, "--ca-file", path.join(dir, "ca.pem")];

describe("rdp-guard repair / rollback (real process, fake ARM)", () => {
  it("--dry-run lists the steps and changes nothing; without --yes it refuses", async () => {
    const dry = await runCli(
      ["repair", "--plan", planFile, "--dry-run", "--journal", path.join(dir, "j.json"), ...azure()],
      { env },
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      "vm-broken (rg-broken): inspect -> snapshot -> disk-copy -> rescue-vm -> offline-script -> detach-copy -> " +
        "pre-swap-check -> deallocate -> swap -> start -> verify -> cleanup",
    );
    const no = await runCli(["repair", "--plan", planFile, "--journal", path.join(dir, "j.json"), ...azure()], { env });
    expect(no.code).toBe(2);
    expect(no.stderr).toMatch(/pass --yes/);
    expect(compute.log.filter((l) => l.method !== "GET")).toEqual([]);
  });

  it("rejects --max-age-hours abc like plan does (exit 2, one line)", async () => {
    const r = await runCli(["repair", "--plan", planFile, "--max-age-hours", "abc", "--dry-run"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/--max-age-hours: 'abc' is not a positive number/);
  });

  it("refuses an AZURE_ACCESS_TOKEN that ends before the repair is expected to, naming the way out", async () => {
    const short = { ...env, AZURE_ACCESS_TOKEN: jwt(Math.floor(Date.now() / 1000) + 20 * 60) };
    const r = await runCli(["repair", "--plan", planFile, "--journal", path.join(dir, "t.json"), "--yes", ...azure()], {
      env: short,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /AZURE_ACCESS_TOKEN expires in (19|20) min .* before this repair is expected to end \(~45 min\): unset AZURE_ACC/,
    );
    expect(compute.log.filter((l) => l.method !== "GET")).toEqual([]);
  });

  it("a journal from another plan is one clear line, not an internal error", async () => {
    const other = path.join(dir, "other.json");
    writeFileSync(
      other,
      JSON.stringify({
        version: 2,
        kind: "rdp-guard-repair-journal",
        planId: "ffffffffffff",
        vmListHash: "x",
        createdAt: new Date().toISOString(),
        vms: {},
      }),
    );
    const r = await runCli(["repair", "--plan", planFile, "--journal", other, "--dry-run"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "rdp-guard: the journal belongs to plan ffffffffffff, not 0123456789ab: finish that plan, or move the " +
        "journal aside\n",
    );
  });

  it("repairs with --yes, then rolls back", async () => {
    const journal = path.join(dir, "j.json");
    const r = await runCli(["repair", "--plan", planFile, "--journal", journal, "--yes", ...azure()], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /vm-broken: swap: OS disk is now vm-broken-osdisk-rdpguard-[0-9a-f]{10} \(original vm-broken-osdisk kept\)/,
    );
    expect(r.stdout).toMatch(/repaired 1, failed 0/);
    expect(JSON.parse(readFileSync(journal, "utf8")).vms[vmId].status).toBe("done");
    const again = await runCli(["repair", "--plan", planFile, "--journal", journal, "--yes", ...azure()], { env });
    expect(again.stdout).toMatch(/repaired 1, failed 0/);
    const rb = await runCli(["rollback", "vm-broken", "--journal", journal, "--yes", ...azure()], { env });
    expect(rb.code).toBe(0);
    expect(rb.stdout).toMatch(/swapped back to vm-broken-osdisk/);
    const vm = compute.store.get(vmId.toLowerCase())!.properties as {
      storageProfile: { osDisk: { managedDisk: { id: string } } };
    };
    expect(vm.storageProfile.osDisk.managedDisk.id).toBe(diskId);
  });

  it("rollback of an unknown VM or a missing journal is one clear line", async () => {
    const missing = await runCli(["rollback", "vm-x", "--journal", path.join(dir, "nope.json"), "--yes"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: no such journal/);
  });
});

describe("checkTokenLifetime", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it("accepts a token that outlives the run, refuses one that does not or has no exp", () => {
    expect(() => checkTokenLifetime(jwt(now / 1000 + 3600), 45, now)).not.toThrow();
    expect(() => checkTokenLifetime(jwt(now / 1000 + 3600), 90, now)).toThrow(
      /expires in 60 min \(2026-01-01T01:00:00.000Z\), before this repair is expected to end \(~90 min\)/,
    );
    expect(() => checkTokenLifetime("opaque-token", 10, now)).toThrow(/not a JWT with an 'exp' claim/);
  });
});
