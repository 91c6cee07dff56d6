import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { staticTokenCredential } from "../../src/azure/sdk-source";
import { DEFAULT_CONFIG } from "../../src/config";
import { RemediationPlan } from "../../src/fleet/plan";
import { SdkRepairCloud } from "../../src/fleet/repair/cloud";
import { REPAIR_STEPS, RepairJournal, RepairStep, loadJournal } from "../../src/fleet/repair/journal";
import { RepairWorkflow, initJournal, rollbackVm } from "../../src/fleet/repair/workflow";
import { FakeArmServer } from "../harness/fake-arm";
import { FakeCompute } from "../harness/fake-compute";
import { FleetBuilder, SUB_A } from "../harness/fake-fleet";

const RG = "rg-broken";
const SUBNET = `/subscriptions/${SUB_A}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/app`;

interface Env { server: FakeArmServer; compute: FakeCompute; cloud: SdkRepairCloud; plan: RemediationPlan; journalFile: string; vmId: string; diskId: string }
let env: Env | undefined;
afterEach(async () => {
  await env?.server.stop();
  env = undefined;
});

async function setup(opts: { linux?: boolean } = {}): Promise<Env> {
  const f = new FleetBuilder();
  f.vm({ sub: SUB_A, rg: RG, name: "vm-broken", subnetId: SUBNET, agentReady: false, hardening: {} });
  const fleet = f.build();
  fleet.instanceViews.clear();
  const compute = new FakeCompute(fleet);
  const server = await FakeArmServer.start(fleet, { extraRoutes: compute.route });
  const { vmId, diskId } = compute.seedBrokenVm(SUB_A, RG, "vm-broken", { hyperV: "V2", trustedLaunch: true, subnetId: SUBNET });
  if (opts.linux) ((compute.store.get(vmId.toLowerCase())!.properties as { storageProfile: { osDisk: { osType: string } } }).storageProfile.osDisk.osType = "Linux");
  const plan: RemediationPlan = {
    version: 1, kind: "rdp-guard-plan", id: "a1b2c3d4e5f6", createdAt: new Date().toISOString(), auditGeneratedAt: new Date().toISOString(), config: DEFAULT_CONFIG, nsgFixes: [],
    vms: [
      { id: vmId, name: "vm-broken", subscriptionId: SUB_A, resourceGroup: RG, location: "westeurope", actions: ["offline-repair"], why: ["agent not ready"], nsgFixIds: [] },
      { id: `${vmId}-other`, name: "vm-other", subscriptionId: SUB_A, resourceGroup: RG, location: "westeurope", actions: [], why: ["not selected"], skipped: "not selected", nsgFixIds: [] },
    ],
  };
  const dir = mkdtempSync(path.join(tmpdir(), "rdp-guard-repair-"));
  const cloud = new SdkRepairCloud(staticTokenCredential("t"), { endpoint: server.url, ca: server.ca });
  env = { server, compute, cloud, plan, journalFile: path.join(dir, "journal.json"), vmId, diskId };
  return env;
}

class Crash extends Error {}

function workflow(e: Env, journal: RepairJournal, crashAt?: RepairStep): RepairWorkflow {
  return new RepairWorkflow(e.cloud, journal, e.plan, {
    journalFile: e.journalFile, nicSubnet: async () => SUBNET, locksOn: async () => [], verifyAttempts: 3, verifyDelayMs: 0, sleep: async () => undefined,
    beforeRecord: crashAt ? (_vm, step) => { if (step === crashAt) throw new Crash(`crash after ${step}`); } : undefined,
  });
}

const vmModel = (e: Env) => e.compute.store.get(e.vmId.toLowerCase())!.properties as { storageProfile: { osDisk: { managedDisk: { id: string }; name: string } } };

function assertRepaired(e: Env): void {
  const copyId = vmModel(e).storageProfile.osDisk.managedDisk.id;
  expect(copyId).toMatch(/vm-broken-osdisk-rdpguard-a1b2c3d4$/);
  expect(e.compute.repairedDisks.has(copyId.toLowerCase())).toBe(true);
  expect(e.compute.store.has(e.diskId.toLowerCase())).toBe(true); // original kept
  expect(e.compute.count("snapshots")).toBe(1);
  expect(e.compute.count("disks")).toBe(2); // original + repaired copy
  expect(e.compute.count("virtualMachines")).toBe(1); // rescue VM deleted
  // Nothing but the rescue VM is ever deleted, and only after the swap.
  const deletes = e.compute.log.filter((l) => l.method === "DELETE" && l.status === 200);
  expect(deletes.every((d) => /virtualMachines\/rescue-/.test(d.path))).toBe(true);
  const swapAt = e.compute.log.findIndex((l) => l.method === "PATCH" && /virtualMachines\/vm-broken$/.test(l.path));
  const firstDelete = e.compute.log.findIndex((l) => l.method === "DELETE");
  expect(swapAt).toBeGreaterThan(-1);
  expect(firstDelete).toBeGreaterThan(swapAt);
  // One creation each, however often the workflow ran.
  for (const kind of ["snapshots", "disks/vm-broken-osdisk-rdpguard", "virtualMachines/rescue-"]) {
    expect(e.compute.log.filter((l) => l.method === "PUT" && l.status === 200 && l.path.includes(kind) && !l.path.includes("/extensions/")).length, kind).toBe(1);
  }
}

describe("offline repair workflow (real SDK, fake ARM)", () => {
  it("snapshots, copies, repairs on a rescue VM, swaps, verifies and cleans up", async () => {
    const e = await setup();
    const journal = initJournal(e.plan, undefined);
    expect(Object.keys(journal.vms)).toEqual([e.vmId]); // only the VM planned for offline repair
    const r = await workflow(e, journal).runAll();
    expect(r).toEqual({ done: ["vm-broken"], failed: [] });
    assertRepaired(e);
    const saved = (await loadJournal(e.journalFile))!;
    expect(saved.vms[e.vmId]!.status).toBe("done");
    expect(REPAIR_STEPS.every((s) => saved.vms[e.vmId]!.steps[s]?.status === "done")).toBe(true);
    expect(saved.vms[e.vmId]!.facts).toMatchObject({ hyperVGeneration: "V2", securityType: "TrustedLaunch", osDiskName: "vm-broken-osdisk" });
    // The copy keeps the generation and security type, or the swap would be refused.
    const copy = [...e.compute.store.values()].find((v) => String(v.name).includes("rdpguard") && String(v.id).includes("/disks/"))!;
    expect(copy.properties).toMatchObject({ hyperVGeneration: "V2", securityProfile: { securityType: "TrustedLaunch" }, creationData: { createOption: "Copy" } });
    // No secret ends up in the journal.
    expect(readFileSync(e.journalFile, "utf8")).not.toMatch(/adminPassword|commandToExecute|Rg!/);
  });

  it.each(REPAIR_STEPS.map((s) => [s]))("resumes after a crash right after '%s' without duplicates", async (step) => {
    const e = await setup();
    await expect(workflow(e, initJournal(e.plan, undefined), step as RepairStep).runAll()).rejects.toThrow(Crash);
    const journal = (await loadJournal(e.journalFile))!;
    expect(journal.vms[e.vmId]!.steps[step as RepairStep]?.status).toBe("running"); // cloud work done, not yet recorded
    const r = await workflow(e, initJournal(e.plan, journal)).runAll();
    expect(r.failed).toEqual([]);
    assertRepaired(e);
  });

  it("a failing offline script stops before anything touches the broken VM, naming VM and step", async () => {
    const e = await setup();
    e.compute.offlineScriptFails = true;
    const r = await workflow(e, initJournal(e.plan, undefined)).runAll();
    expect(r.failed).toEqual([{ vm: "vm-broken", error: expect.stringMatching(/^vm-broken: step offline-script: offline script failed: offline-repair: expected one attached Windows volume/) }]);
    expect(e.compute.log.some((l) => /vm-broken\/(deallocate|start)$/.test(l.path) || (l.method === "PATCH" && /vm-broken$/.test(l.path)))).toBe(false);
    expect(vmModel(e).storageProfile.osDisk.managedDisk.id).toBe(e.diskId);
    const j = (await loadJournal(e.journalFile))!;
    expect(j.vms[e.vmId]!).toMatchObject({ status: "failed", steps: { "offline-script": { status: "failed" } } });
    // Fixed and re-run: it continues from the failed step.
    e.compute.offlineScriptFails = false;
    expect((await workflow(e, initJournal(e.plan, j)).runAll()).failed).toEqual([]);
    assertRepaired(e);
  });

  it("a 500 is retried by the SDK; a refused request fails the step cleanly and the next run finishes", async () => {
    const retried = await setup();
    retried.compute.failOnce = { pattern: /^PUT .*\/snapshots\//, status: 500 };
    expect((await workflow(retried, initJournal(retried.plan, undefined)).runAll()).failed).toEqual([]);
    assertRepaired(retried);
    await retried.server.stop();
    const e = await setup();
    e.compute.failOnce = { pattern: /^PUT .*\/disks\/vm-broken-osdisk-rdpguard/, status: 409 };
    const first = await workflow(e, initJournal(e.plan, undefined)).runAll();
    expect(first.failed[0]!.error).toMatch(/^vm-broken: step disk-copy: .*quota exceeded/);
    const j = (await loadJournal(e.journalFile))!;
    expect((await workflow(e, initJournal(e.plan, j)).runAll()).failed).toEqual([]);
    assertRepaired(e);
  });

  it("never touches a VM that is not Windows, even if a plan says so", async () => {
    const e = await setup({ linux: true });
    const r = await workflow(e, initJournal(e.plan, undefined)).runAll();
    expect(r.failed[0]!.error).toMatch(/step inspect: not a Windows VM: refusing to touch it/);
    expect(e.compute.log.filter((l) => l.method !== "GET")).toEqual([]);
  });

  it("never touches a VM under a management lock", async () => {
    const e = await setup();
    const wf = new RepairWorkflow(e.cloud, initJournal(e.plan, undefined), e.plan, {
      journalFile: e.journalFile, nicSubnet: async () => SUBNET, locksOn: async () => ["freeze (CanNotDelete)"], sleep: async () => undefined,
    });
    const r = await wf.runAll();
    expect(r.failed[0]!.error).toMatch(/^vm-broken: step inspect: under management lock freeze \(CanNotDelete\): refusing to touch it/);
    expect(e.compute.log.filter((l) => l.method !== "GET")).toEqual([]);
  });

  it("rollback swaps the original disk back and deletes nothing", async () => {
    const e = await setup();
    const journal = initJournal(e.plan, undefined);
    await workflow(e, journal).runAll();
    const before = e.compute.count("disks");
    const msg = await rollbackVm(e.cloud, journal.vms[e.vmId]!, journal, e.journalFile);
    expect(msg).toMatch(/swapped back to vm-broken-osdisk/);
    expect(vmModel(e).storageProfile.osDisk.managedDisk.id).toBe(e.diskId);
    expect(e.compute.count("disks")).toBe(before);
    expect((await loadJournal(e.journalFile))!.vms[e.vmId]!.status).toBe("rolled-back");
  });

  it("refuses a journal of another plan", async () => {
    const e = await setup();
    const journal = initJournal(e.plan, undefined);
    expect(() => initJournal({ ...e.plan, id: "ffffffffffff" }, journal)).toThrow(/journal belongs to plan a1b2c3d4e5f6/);
  });
});
