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

const azureArgs = () => [
  "--arm-endpoint",
  server.url,
  "--ca-file",
  (globalThis as { caFile?: string }).caFile!,
  "--subscription",
  SUB_A,
  "--subscription",
  SUB_B,
];

describe("rdp-guard audit / plan / remediate (real process, fake ARM)", () => {
  it("audit prints per-VM states and exits 1 on exposed or unreachable VMs", async () => {
    const r = await runCli(["audit", ...azureArgs()], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^EXPOSED\s+vm-exposed .*nsg-open\/open-rdp/m);
    expect(r.stdout).toMatch(/^COMPLIANT\s+vm-shielded/m);
    expect(r.stdout).toMatch(
      /10 VM\(s\): 2 compliant, 1 drifted, 1 unhardened, 3 exposed, 2 unreachable, 0 unknown, 1 not Windows/,
    );
  });

  it("audit --format sarif carries the VM findings", async () => {
    const r = await runCli(["audit", ...azureArgs(), "--format", "sarif", "--fail-on", "never"], { env });
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout).runs[0].results as {
      ruleId: string;
      level: string;
      locations: { physicalLocation?: unknown; logicalLocations: { fullyQualifiedName: string }[] }[];
    }[];
    expect(results.map((x) => x.ruleId)).toEqual(expect.arrayContaining(["RDPG001", "RDPG020", "RDPG021"]));
    // Live findings point at the Azure resource (logical location), never at a made-up file.
    expect(r.stdout).not.toMatch(/"uri": "unknown"/);
    for (const x of results) {
      expect(x.locations[0]!.physicalLocation).toBeUndefined();
      expect(x.locations[0]!.logicalLocations[0]!.fullyQualifiedName).toMatch(
        /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Compute\/virtualMachines\//,
      );
    }
    // Severity comes from the check: RDPG001 is an error, RDPG010 (boot diagnostics) a note or warning.
    expect(results.find((x) => x.ruleId === "RDPG001")!.level).toBe("error");
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
    expect(rem.stderr.trim().split("\n").pop()).toBe(
      "rdp-guard: the Pulumi CLI is not installed (no `pulumi` on PATH or in ~/.pulumi/bin): install it from https://www.pulumi.com/docs/install/ and run again",
    );
  });

  it("bad input exits 2 with a clear line", async () => {
    const noSub = await runCli(["audit", "--arm-endpoint", server.url], { env });
    expect(noSub.code).toBe(2);
    expect(noSub.stderr).toMatch(/pass --subscription <id>/);
    const badTag = await runCli(["audit", ...azureArgs(), "--tag", "novalue"], { env });
    expect(badTag.stderr).toMatch(/--tag: 'novalue' must be key=value/);
    const stale = path.join(dir, "stale.json");
    writeFileSync(
      stale,
      JSON.stringify({ version: 1, kind: "rdp-guard-audit", generatedAt: "2020-01-01T00:00:00Z", vms: [], nsgs: [] }),
    );
    const s = await runCli(["plan", "--audit-file", stale], { env });
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/stale\.json: stale: generatedAt 2020-01-01T00:00:00.000Z is \d+\.\d h old/);
  });

  it("--max-age-hours, --cloud and --arm-endpoint are validated the same way everywhere", async () => {
    const plan = path.join(dir, "any-plan.json");
    writeFileSync(plan, "{}");
    for (const args of [
      ["remediate", "--plan", plan, "--max-age-hours", "abc"],
      ["plan", "--audit-file", plan, "--max-age-hours", "abc"],
      ["repair", "--plan", plan, "--max-age-hours", "abc"],
    ]) {
      const r = await runCli(args, { env });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(/--max-age-hours: 'abc' is not a positive number/);
    }
    const none = await runCli(["remediate"], { env });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/pass --plan <file>, or --remove <id>/);
    const cloud = await runCli(["audit", "--cloud", "AzureGermanCloud", "--subscription", SUB_A], { env });
    expect(cloud.code).toBe(2);
    expect(cloud.stderr.trim()).toMatch(
      /^rdp-guard: --cloud: 'AzureGermanCloud' must be one of AzurePublicCloud, AzureUSGovernment, AzureChinaCloud$/,
    );
    const stack = await runCli(
      ["audit", "--arm-endpoint", "https://management.local.azurestack.external", "--subscription", SUB_A],
      { env },
    );
    expect(stack.code).toBe(2);
    expect(stack.stderr).toMatch(/Azure Stack Hub has no Resource Graph/);
  });

  it("unreadable locks stop audit and plan with one line (exit 2)", async () => {
    const locked = await FakeArmServer.start(scenarioFleet(), { locksForbidden: [SUB_B] });
    try {
      for (const cmd of ["audit", "plan"]) {
        const r = await runCli(
          [
            cmd,
            "--arm-endpoint",
            locked.url,
            "--ca-file",
            (globalThis as { caFile?: string }).caFile!,
            "--subscription",
            SUB_A,
            "--subscription",
            SUB_B,
          ],
          { env },
        );
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split("\n")).toHaveLength(1);
        expect(r.stderr).toMatch(
          /^rdp-guard: cannot read management locks of subscription [0-]+b \(403 AuthorizationFailed/,
        );
      }
    } finally {
      await locked.stop();
    }
  });

  it("an Azure error is one line naming the request", async () => {
    // A subscription the fake ARM server answers with an error for every instance view.
    const r = await runCli(
      [
        "audit",
        "--arm-endpoint",
        `${server.url}/broken`,
        "--ca-file",
        (globalThis as { caFile?: string }).caFile!,
        "--subscription",
        SUB_A,
      ],
      { env },
    );
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^rdp-guard: Azure request failed on POST https:\/\/127\.0\.0\.1:\d+\/broken\/providers\/Microsoft\.ResourceGraph\/resources \(404 NotFound\)/,
    );
  });
});
