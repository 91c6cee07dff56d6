import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SdkFleetSource, staticTokenCredential } from "../../src/azure/sdk-source";
import { DEFAULT_CONFIG, GuardConfig } from "../../src/config";
import { AuditDocument, auditFleet } from "../../src/fleet/audit";
import { loadAudit, loadPlan } from "../../src/fleet/documents";
import { buildPlan, fixRules } from "../../src/fleet/plan";
import { evaluateNsg } from "../../src/nsg/evaluate";
import { engineOptions } from "../../src/config";
import { FakeArmServer } from "../harness/fake-arm";
import { FleetBuilder, SUB_A, SUB_B, scenarioFleet } from "../harness/fake-fleet";

let server: FakeArmServer;
let audit: AuditDocument;
const sel = { subscriptions: [SUB_A, SUB_B], managementGroups: [], resourceGroups: [], tags: [] };

async function auditOf(fleet = scenarioFleet(), config: GuardConfig = DEFAULT_CONFIG): Promise<AuditDocument> {
  const s = await FakeArmServer.start(fleet);
  try {
    return await auditFleet(
      new SdkFleetSource({ credential: staticTokenCredential("t"), endpoint: s.url, ca: s.ca }),
      sel,
      { config },
    );
  } finally {
    await s.stop();
  }
}

beforeAll(async () => {
  server = await FakeArmServer.start(scenarioFleet());
  audit = await auditFleet(
    new SdkFleetSource({ credential: staticTokenCredential("t"), endpoint: server.url, ca: server.ca }),
    sel,
    { config: DEFAULT_CONFIG },
  );
});
afterAll(async () => server?.stop());

const byName = (plan: ReturnType<typeof buildPlan>) => Object.fromEntries(plan.vms.map((v) => [v.name, v]));

describe("rdp-guard plan", () => {
  it("decides one action per VM state and never touches non-Windows, locked or stopped VMs", () => {
    const vms = byName(buildPlan(audit));
    expect(vms["vm-ok"]!.actions).toEqual([]);
    expect(vms["vm-drift"]!.actions).toEqual(["online-rerun"]);
    expect(vms["vm-down"]!.actions).toEqual(["offline-repair"]);
    expect(vms["vm-exposed"]!.actions).toEqual(["nsg-fix"]);
    expect(vms["vm-linux"]!.skipped).toMatch(/not a Windows VM/);
    expect(vms["vm-locked"]!.skipped).toMatch(/management lock freeze \(CanNotDelete\)/);
    expect(vms["vm-stopped"]!.skipped).toMatch(/deallocated/);
    expect(vms["vm-unhardened"]!.actions).toEqual([]);
    expect(vms["vm-unhardened"]!.why.join()).toMatch(/CustomScript slot used by 'legacy-bootstrap'/);
    expect(vms["vm-nonsg"]!.why.join()).toMatch(/nsg-fix not possible: .*no NSG/);
    for (const v of Object.values(vms)) if (v.skipped) expect(v.actions).toEqual([]);
  });

  it("adds a Deny just above the exposing rule, and the engine confirms the NSG is closed", () => {
    const plan = buildPlan(audit);
    const fix = plan.nsgFixes.find((f) => f.nsgName === "nsg-open")!;
    expect(fix).toMatchObject({ denyPriority: 299, exposingRules: ["open-rdp"], ports: [3389] });
    expect(fix.allowPriority).toBeUndefined();
    const nsg = audit.nsgs.find((n) => n.name === "nsg-open")!;
    const opts = engineOptions(DEFAULT_CONFIG);
    expect(evaluateNsg({ id: nsg.id, name: nsg.name, type: "t", rules: nsg.rules }, opts).exposures).not.toEqual([]);
    expect(
      evaluateNsg({ id: nsg.id, name: nsg.name, type: "t", rules: [...nsg.rules, ...fixRules(fix)] }, opts).exposures,
    ).toEqual([]);
    expect(plan.nsgFixes.map((f) => f.nsgName)).not.toContain("nsg-locked-open");
  });

  it("keeps trusted prefixes reachable with an Allow above the Deny", async () => {
    const a = await auditOf(scenarioFleet(), { ...DEFAULT_CONFIG, trustedSourcePrefixes: ["198.51.100.0/24"] });
    const fix = buildPlan(a).nsgFixes.find((f) => f.nsgName === "nsg-open")!;
    expect(fix).toMatchObject({ denyPriority: 299, allowPriority: 298, trustedPrefixes: ["198.51.100.0/24"] });
  });

  it("says when no priority is free above the exposing rule", async () => {
    const f = new FleetBuilder();
    const nsg = f.nsg(SUB_A, "rg", "nsg-top", [
      { name: "open-at-100", priority: 100, access: "Allow", sourceAddressPrefix: "*", destinationPortRange: "3389" },
    ]);
    const net = f.vnet(SUB_A, "rg", "v", [{ name: "s", nsgId: nsg }]);
    f.vm({ sub: SUB_A, rg: "rg", name: "vm-top", subnetId: net.get("s")!, hardening: {} });
    const plan = buildPlan(await auditOf(f.build()));
    expect(plan.vms[0]!.actions).toEqual([]);
    expect(plan.vms[0]!.why.join()).toMatch(/no free priority above rule open-at-100 \(100\)/);
    expect(plan.nsgFixes).toEqual([]);
  });

  it("plans only for selected VMs", () => {
    const vms = byName(buildPlan(audit, { select: ["vm-drift"] }));
    expect(vms["vm-drift"]!.actions).toEqual(["online-rerun"]);
    expect(vms["vm-exposed"]!.skipped).toBe("not selected");
    expect(buildPlan(audit, { select: ["vm-drift"] }).nsgFixes).toEqual([]);
  });
});

describe("audit and plan files", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "rdp-guard-docs-"));
  const write = (name: string, v: unknown) => {
    const f = path.join(dir, name);
    writeFileSync(f, JSON.stringify(v));
    return f;
  };

  it("round-trips, and rejects stale, foreign or broken files with the file named", async () => {
    const file = write("audit.json", audit);
    expect((await loadAudit(file, 24)).vms).toHaveLength(audit.vms.length);
    const later = new Date(Date.parse(audit.generatedAt) + 30 * 3600_000);
    await expect(loadAudit(file, 24, later)).rejects.toThrow(
      /audit\.json: stale: generatedAt .* is 30\.0 h old \(limit 24 h\)/,
    );
    await expect(loadAudit(write("plan-as-audit.json", buildPlan(audit)), 24)).rejects.toThrow(
      /not an rdp-guard-audit file/,
    );
    await expect(loadAudit(write("v2.json", { ...audit, version: 2 }), 24)).rejects.toThrow(
      /unsupported rdp-guard-audit version 2/,
    );
    await expect(loadAudit(path.join(dir, "missing.json"), 24)).rejects.toThrow(
      /missing\.json: cannot read: no such file/,
    );
    const plan = buildPlan(audit);
    expect((await loadPlan(write("plan.json", plan), 24)).id).toBe(plan.id);
  });
});
