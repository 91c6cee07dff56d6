import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SdkFleetSource, staticTokenCredential } from "../../src/azure/sdk-source";
import { ALL_CHECKS } from "../../src/checks";
import { DEFAULT_CONFIG, loadConfig } from "../../src/config";
import { auditFleet } from "../../src/fleet/audit";
import { runCli } from "../harness/cli";
import { FakeArmServer, FakeFleet } from "../harness/fake-arm";
import { FleetBuilder, SUB_A } from "../harness/fake-fleet";
import { ROOT } from "../helpers/files";
import { Expected, FleetSpec, RuleSpec, fixturesOf } from "./fixtures";

/** One shared test runs every check's good and bad fixtures through the real doors (KICS-style). */

interface Got {
  file: string;
  severity: string;
  line?: number;
  resource?: string;
}
const key = (e: Got | Expected): string => `${e.file}:${e.line ?? e.resource}:${e.severity}`;

/** `rdp-guard scan` (the built CLI) over the folder's IaC files; findings of `id` per file. */
async function scanFindings(id: string, dir: string, files: string[], config?: string): Promise<Got[]> {
  const args = [
    "scan",
    ...files.map((f) => path.relative(ROOT, path.join(dir, f))),
    "--format",
    "json",
    "--fail-on",
    "never",
  ];
  if (config) args.push("--config", path.relative(ROOT, config));
  const r = await runCli(args);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout) as {
    findings: { ruleId: string; file: string; line: number; severity: string }[];
  };
  return report.findings
    .filter((f) => f.ruleId === id)
    .map((f) => ({ file: path.basename(f.file), line: f.line, severity: f.severity }));
}

const servers: FakeArmServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

function fleetOf(spec: FleetSpec): FakeFleet {
  const f = new FleetBuilder();
  const rules = (rs: readonly RuleSpec[]) =>
    rs.map((r) => ({
      name: r.name,
      priority: r.priority,
      access: r.access ?? "Allow",
      sourceAddressPrefix: r.source,
      destinationPortRange: r.port ?? "3389",
    }));
  const subnetNsg = spec.subnetRules ? f.nsg(SUB_A, "rg-fixture", "nsg-subnet", rules(spec.subnetRules)) : undefined;
  const nicNsg = spec.nicRules ? f.nsg(SUB_A, "rg-fixture", "nsg-nic", rules(spec.nicRules)) : undefined;
  const subnetId = f.vnet(SUB_A, "rg-fixture", "vnet-fixture", [{ name: "default", nsgId: subnetNsg }]).get("default")!;
  for (const { nicNsg: withNicNsg, ...vm } of spec.vms) {
    f.vm({
      sub: SUB_A,
      rg: "rg-fixture",
      subnetId,
      ...(vm as { name: string }),
      nicNsgId: withNicNsg ? nicNsg : undefined,
    });
  }
  return f.build();
}

/** `auditFleet` (real SDK clients) against a fake ARM server holding the fixture's fleet. */
async function auditFindings(id: string, dir: string, file: string, config?: string): Promise<Got[]> {
  const spec = JSON.parse(readFileSync(path.join(dir, file), "utf8")) as FleetSpec;
  const server = await FakeArmServer.start(fleetOf(spec));
  servers.push(server);
  const source = new SdkFleetSource({
    credential: staticTokenCredential("t"),
    endpoint: server.url,
    ca: server.ca,
    sleep: async () => undefined,
  });
  const cfg = config ? loadConfig(JSON.parse(readFileSync(config, "utf8")), config) : DEFAULT_CONFIG;
  const doc = await auditFleet(
    source,
    { subscriptions: [SUB_A], managementGroups: [], resourceGroups: [], tags: [] },
    { config: cfg },
  );
  return doc.findings
    .filter((f) => f.checkId === id)
    .map((f) => ({ file, resource: f.resource.name, severity: f.severity }));
}

describe.each(ALL_CHECKS.map((c) => [c.id]))("%s fixtures", (id) => {
  const fx = fixturesOf(id);
  const expected = fx.expected ?? [];

  // A check has IaC fixtures, fleet fixtures or both; only the kinds it has become tests (nothing shows as skipped).
  if (fx.iac.positive.length + fx.iac.negative.length > 0)
    it("IaC: positives at the expected lines, negatives clean", async () => {
      const got = await scanFindings(id, fx.dir, [...fx.iac.positive, ...fx.iac.negative], fx.config);
      const want = expected.filter((e) => fx.iac.positive.includes(e.file));
      expect(got.map(key).sort()).toEqual(want.map(key).sort());
      for (const p of fx.iac.positive)
        expect(
          got.some((g) => g.file === p),
          `${id}/${p} finds nothing`,
        ).toBe(true);
    });

  if (fx.fleet.positive.length + fx.fleet.negative.length > 0)
    it("fleet: positive VMs found, negatives clean", async () => {
      const got: Got[] = [];
      for (const file of [...fx.fleet.positive, ...fx.fleet.negative])
        got.push(...(await auditFindings(id, fx.dir, file, fx.config)));
      const want = expected.filter((e) => fx.fleet.positive.includes(e.file));
      expect(got.map(key).sort()).toEqual(want.map(key).sort());
      for (const p of fx.fleet.positive)
        expect(
          got.some((g) => g.file === p),
          `${id}/${p} finds nothing`,
        ).toBe(true);
    });
});
