import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { staticTokenCredential } from "../../src/azure/sdk-source";
import { DEFAULT_CONFIG } from "../../src/config";
import { RemediationPlan } from "../../src/fleet/plan";
import { SdkRepairCloud } from "../../src/fleet/repair/cloud";
import { REPAIR_STEPS, RepairJournal, RepairStep, loadJournal } from "../../src/fleet/repair/journal";
import { REPAIR_TAG, RepairWorkflow, initJournal, pickRescueSku, rollbackVm } from "../../src/fleet/repair/workflow";
import { FakeArmOptions, FakeArmServer, FakeFleet } from "../harness/fake-arm";
import { FakeCompute, SeedOptions } from "../harness/fake-compute";
import { FleetBuilder, SUB_A, lockRow } from "../harness/fake-fleet";

const RG = "rg-broken";
const VNET = `/subscriptions/${SUB_A}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/vnet`;
const SUBNET = `${VNET}/subnets/app`;

interface Env {
  server: FakeArmServer;
  fleet: FakeFleet;
  compute: FakeCompute;
  cloud: SdkRepairCloud;
  plan: RemediationPlan;
  journalFile: string;
  vmId: string;
  diskId: string;
}
let env: Env | undefined;
afterEach(async () => {
  await env?.server.stop();
  env = undefined;
});

const planVm = (id: string, name: string) => ({
  id,
  name,
  subscriptionId: SUB_A,
  resourceGroup: RG,
  location: "westeurope",
  actions: ["offline-repair" as const],
  why: ["agent not ready"],
  nsgFixIds: [],
});

async function setup(
  opts: { linux?: boolean; seed?: Partial<SeedOptions>; names?: string[]; server?: FakeArmOptions } = {},
): Promise<Env> {
  const fleet = new FleetBuilder().build();
  const compute = new FakeCompute(fleet);
  const server = await FakeArmServer.start(fleet, { ...opts.server, extraRoutes: compute.route });
  const names = opts.names ?? ["vm-broken"];
  const seeded = names.map((n) =>
    compute.seedBrokenVm(SUB_A, RG, n, { hyperV: "V2", trustedLaunch: true, subnetId: SUBNET, ...opts.seed }),
  );
  const { vmId, diskId } = seeded[0]!;
  if (opts.linux)
    (
      compute.store.get(vmId.toLowerCase())!.properties as { storageProfile: { osDisk: { osType: string } } }
    ).storageProfile.osDisk.osType = "Linux";
  const plan: RemediationPlan = {
    version: 1,
    kind: "rdp-guard-plan",
    id: "a1b2c3d4e5f6",
    createdAt: new Date().toISOString(),
    auditGeneratedAt: new Date().toISOString(),
    config: DEFAULT_CONFIG,
    nsgFixes: [],
    vms: [
      ...names.map((n, i) => planVm(seeded[i]!.vmId, n)),
      {
        id: `${vmId}-other`,
        name: "vm-other",
        subscriptionId: SUB_A,
        resourceGroup: RG,
        location: "westeurope",
        actions: [],
        why: ["not selected"],
        skipped: "not selected",
        nsgFixIds: [],
      },
    ],
  };
  const dir = mkdtempSync(path.join(tmpdir(), "rdp-guard-repair-"));
  const cloud = new SdkRepairCloud(staticTokenCredential("t"), {
    endpoint: server.url,
    ca: server.ca,
    pollIntervalMs: 1,
  });
  env = { server, fleet, compute, cloud, plan, journalFile: path.join(dir, "journal.json"), vmId, diskId };
  return env;
}

class Crash extends Error {}

function workflow(
  e: Env,
  journal: RepairJournal,
  o: { crashAt?: RepairStep; hook?: (step: RepairStep) => void; extensionName?: string } = {},
): RepairWorkflow {
  return new RepairWorkflow(e.cloud, journal, e.plan, {
    journalFile: e.journalFile,
    nicSubnet: async () => SUBNET,
    verifyAttempts: 3,
    verifyDelayMs: 0,
    sleep: async () => undefined,
    extensionName: o.extensionName,
    beforeRecord: (_vm, step) => {
      o.hook?.(step);
      if (step === o.crashAt) throw new Crash(`crash after ${step}`);
    },
  });
}

type VmProps = {
  storageProfile: {
    osDisk: { managedDisk: { id: string }; name: string; createOption: string };
    dataDisks: { managedDisk: { id: string } }[];
    imageReference: { sku: string };
  };
  securityProfile?: unknown;
};
const vmModel = (e: Env, id = e.vmId) => e.compute.store.get(id.toLowerCase())!.properties as VmProps;
const writes = (e: Env) => e.compute.log.filter((l) => l.method !== "GET");
const deallocations = (e: Env) => e.compute.log.filter((l) => /\/deallocate$/.test(l.path));

function assertRepaired(e: Env, name = "vm-broken", id = e.vmId, injected409 = false): void {
  const copyId = vmModel(e, id).storageProfile.osDisk.managedDisk.id;
  expect(copyId).toMatch(new RegExp(`${name}-osdisk-rdpguard-[0-9a-f]{10}$`));
  expect(e.compute.repairedDisks.has(copyId.toLowerCase())).toBe(true);
  // The swap changed only the disk: createOption is what the VM was created with.
  expect(vmModel(e, id).storageProfile.osDisk.createOption).toBe("FromImage");
  expect(e.compute.log.filter((l) => l.status === 409).length).toBe(injected409 ? 1 : 0);
  // Nothing but rescue VMs is ever deleted.
  const deletes = e.compute.log.filter((l) => l.method === "DELETE" && l.status! < 300);
  expect(deletes.every((d) => /virtualMachines\/rescue-[0-9a-f]{10}$/.test(d.path))).toBe(true);
}

function assertSingleRepair(e: Env, injected409 = false): void {
  assertRepaired(e, "vm-broken", e.vmId, injected409);
  // The rescue VM is deleted only after the swap.
  const swapAt = e.compute.log.findIndex((l) => l.method === "PATCH" && l.path.endsWith("virtualMachines/vm-broken"));
  expect(swapAt).toBeGreaterThan(-1);
  expect(e.compute.log.findIndex((l) => l.method === "DELETE")).toBeGreaterThan(swapAt);
  expect(e.compute.store.has(e.diskId.toLowerCase())).toBe(true); // original kept
  expect(e.compute.count("snapshots")).toBe(1);
  expect(e.compute.count("disks")).toBe(2); // original + repaired copy
  expect(e.compute.count("virtualMachines")).toBe(1); // rescue VM deleted
  for (const kind of ["snapshots", "disks/vm-broken-osdisk-rdpguard", "virtualMachines/rescue-"]) {
    expect(
      e.compute.log.filter(
        (l) => l.method === "PUT" && l.status! < 300 && l.path.includes(kind) && !l.path.includes("/extensions/"),
      ).length,
      kind,
    ).toBe(1);
  }
}

/** The SDK cloud against the fake, with sleeps recorded instead of waited (to see what a retry would wait). */
function recordingSleepCloud(e: { server: { url: string; ca: string } }, waits: number[]): SdkRepairCloud {
  return new SdkRepairCloud(staticTokenCredential("t"), {
    endpoint: e.server.url,
    ca: e.server.ca,
    pollIntervalMs: 1,
    sleep: async (ms) => void waits.push(ms),
  });
}

describe("offline repair workflow (real SDK, strict fake ARM)", () => {
  it("snapshots, copies, repairs on a rescue VM, swaps, verifies and cleans up", async () => {
    const e = await setup();
    const journal = initJournal(e.plan, undefined);
    expect(Object.keys(journal.vms)).toEqual([e.vmId]); // only the VM planned for offline repair
    const r = await workflow(e, journal).runAll();
    expect(r).toEqual({ done: ["vm-broken"], failed: [] });
    assertSingleRepair(e);
    expect(e.compute.lro.stats.inProgressAnswers).toBeGreaterThan(10); // every write went through a polled operation
    const saved = (await loadJournal(e.journalFile))!;
    expect(saved.vms[e.vmId]!.status).toBe("done");
    expect(REPAIR_STEPS.every((s) => saved.vms[e.vmId]!.steps[s]?.status === "done")).toBe(true);
    expect(saved.vms[e.vmId]!.facts).toMatchObject({
      hyperVGeneration: "V2",
      securityType: "TrustedLaunch",
      osDiskName: "vm-broken-osdisk",
    });
    const copy = [...e.compute.store.values()].find(
      (v) => String(v.name).includes("rdpguard") && String(v.id).includes("/disks/"),
    )!;
    expect(copy.properties).toMatchObject({
      hyperVGeneration: "V2",
      securityProfile: { securityType: "TrustedLaunch" },
      creationData: { createOption: "Copy" },
    });
    expect((copy.tags as Record<string, string>)[REPAIR_TAG]).toBe(saved.vms[e.vmId]!.facts.tag);
    expect(readFileSync(e.journalFile, "utf8")).not.toMatch(/adminPassword|commandToExecute|Rg!/);
  });

  it.each(REPAIR_STEPS.map((s) => [s]))("resumes after a crash right after '%s' without duplicates", async (step) => {
    const e = await setup();
    await expect(workflow(e, initJournal(e.plan, undefined), { crashAt: step as RepairStep }).runAll()).rejects.toThrow(
      Crash,
    );
    const journal = (await loadJournal(e.journalFile))!;
    expect(journal.vms[e.vmId]!.steps[step as RepairStep]?.status).toBe("running"); // cloud work done, not yet recorded
    const r = await workflow(e, initJournal(e.plan, journal)).runAll();
    expect(r.failed).toEqual([]);
    assertSingleRepair(e);
  });

  it("a failing offline script stops before the VM is touched; the retry gets a new forceUpdateTag", async () => {
    const e = await setup();
    e.compute.offlineScriptFails = true;
    const r = await workflow(e, initJournal(e.plan, undefined)).runAll();
    expect(r.failed).toEqual([
      {
        vm: "vm-broken",
        error: expect.stringMatching(
          /^vm-broken: step offline-script: offline script failed: offline-repair: expected one attached Windows vol/,
        ),
      },
    ]);
    expect(
      writes(e).some(
        (l) => /vm-broken\/(deallocate|start)$/.test(l.path) || (l.method === "PATCH" && /vm-broken$/.test(l.path)),
      ),
    ).toBe(false);
    expect(vmModel(e).storageProfile.osDisk.managedDisk.id).toBe(e.diskId);
    const j = (await loadJournal(e.journalFile))!;
    expect(j.vms[e.vmId]!).toMatchObject({ status: "failed", steps: { "offline-script": { status: "failed" } } });
    e.compute.offlineScriptFails = false;
    expect((await workflow(e, initJournal(e.plan, j)).runAll()).failed).toEqual([]);
    assertSingleRepair(e);
    // Issue 10 defect 9: the same settings and tag would not run the script again (the fake follows Azure).
    const runs = [...e.compute.extensionRuns.entries()].filter(([k]) =>
      k.endsWith("/extensions/azure-rdp-guard-offline"),
    );
    expect(runs.map(([, n]) => n)).toEqual([2]);
  });

  it("a 500 is retried by the SDK; a refused request fails the step cleanly and the next run finishes", async () => {
    const retried = await setup();
    retried.compute.failOnce = { pattern: /^PUT .*\/snapshots\//, status: 500 };
    expect((await workflow(retried, initJournal(retried.plan, undefined)).runAll()).failed).toEqual([]);
    assertSingleRepair(retried);
    await retried.server.stop();
    const e = await setup();
    e.compute.failOnce = { pattern: /^PUT .*\/disks\/vm-broken-osdisk-rdpguard/, status: 409 };
    const first = await workflow(e, initJournal(e.plan, undefined)).runAll();
    expect(first.failed[0]!.error).toMatch(/^vm-broken: step disk-copy: .*quota exceeded/);
    const j = (await loadJournal(e.journalFile))!;
    expect((await workflow(e, initJournal(e.plan, j)).runAll()).failed).toEqual([]);
    assertSingleRepair(e, true);
  });

  it("a 429 with Retry-After: 86400 fails the step with one line instead of waiting a day", async () => {
    const e = await setup();
    const waits: number[] = [];
    e.cloud = recordingSleepCloud(e, waits);
    e.compute.failOnce = { pattern: /^PUT .*\/snapshots\//, status: 429, headers: { "retry-after": "86400" } };
    const r = await workflow(e, initJournal(e.plan, undefined)).runAll();
    expect(r.failed[0]!.error).toMatch(
      /^vm-broken: step snapshot: PUT 127\.0\.0\.1:\d+\/subscriptions\/\S+\/snapshots/,
    );
    expect(r.failed[0]!.error).toMatch(
      /: Azure asked to wait 86400 s \(Retry-After: 86400\) before retrying; rdp-guard waits at most 60 s per retry/,
    );
    expect(r.failed[0]!.error).not.toMatch(/\n/);
    expect(waits).toEqual([]);
    expect(e.compute.log.filter((l) => l.method === "PUT" && /\/snapshots\//.test(l.path))).toHaveLength(1);
    expect(deallocations(e)).toEqual([]);
  });

  it("a 429 with a short Retry-After is waited out (capped, injectable sleep) and the repair finishes", async () => {
    const e = await setup();
    const waits: number[] = [];
    e.cloud = recordingSleepCloud(e, waits);
    e.compute.failOnce = { pattern: /^PUT .*\/snapshots\//, status: 429, headers: { "retry-after": "7" } };
    expect((await workflow(e, initJournal(e.plan, undefined)).runAll()).failed).toEqual([]);
    expect(waits).toEqual([7000]);
  });

  it("an operation whose status answers say Retry-After: 86400 is polled at the usual interval", async () => {
    const e = await setup();
    const lines: string[] = [];
    e.cloud = new SdkRepairCloud(staticTokenCredential("t"), {
      endpoint: e.server.url,
      ca: e.server.ca,
      pollIntervalMs: 1,
      onWait: (l) => lines.push(l),
    });
    e.compute.lro.retryAfter = 86400;
    expect((await workflow(e, initJournal(e.plan, undefined)).runAll()).failed).toEqual([]);
    expect(e.compute.lro.stats.inProgressAnswers).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/: ignoring Retry-After: 86400 on a status answer \(more than 60 s\); polling at/);
  }, 20_000);

  it("never touches a VM that is not Windows, even if a plan says so", async () => {
    const e = await setup({ linux: true });
    const r = await workflow(e, initJournal(e.plan, undefined)).runAll();
    expect(r.failed[0]!.error).toMatch(/step inspect: not a Windows VM: refusing to touch it/);
    expect(writes(e)).toEqual([]);
  });
});

describe("defect 1: the OS-disk swap and rollback change only managedDisk.id and name", () => {
  it("swap and rollback pass on a VM created from an image (FromImage kept); rollback deletes nothing", async () => {
    const e = await setup();
    const journal = initJournal(e.plan, undefined);
    await workflow(e, journal).runAll();
    const before = e.compute.count("disks");
    const msg = await rollbackVm(e.cloud, journal.vms[e.vmId]!, journal, e.journalFile);
    expect(msg).toMatch(/swapped back to vm-broken-osdisk/);
    expect(vmModel(e).storageProfile.osDisk).toMatchObject({
      managedDisk: { id: e.diskId },
      createOption: "FromImage",
    });
    expect(e.compute.count("disks")).toBe(before);
    expect(e.compute.log.some((l) => l.status === 409)).toBe(false);
    expect((await loadJournal(e.journalFile))!.vms[e.vmId]!.status).toBe("rolled-back");
  });
});

describe("defect 2: locks come from the Locks API (VM, disks, NICs, resource group, subscription)", () => {
  it.each([
    ["the resource group", `/subscriptions/${SUB_A}/resourceGroups/${RG}`],
    [
      "the OS disk (in another group)",
      `/subscriptions/${SUB_A}/resourceGroups/rg-disks/providers/Microsoft.Compute/disks/vm-broken-osdisk`,
    ],
    [
      "the NIC",
      `/subscriptions/${SUB_A}/resourceGroups/${RG}/providers/Microsoft.Network/networkInterfaces/vm-broken-nic`,
    ],
    ["the subscription", `/subscriptions/${SUB_A}`],
  ])("a lock on %s stops the repair before any write", async (_what, scope) => {
    const e = await setup({ seed: { diskResourceGroup: "rg-disks" } });
    e.fleet.rows.push(lockRow(scope, "freeze", "CanNotDelete"));
    const r = await workflow(e, initJournal(e.plan, undefined)).runAll();
    expect(r.failed[0]!.error).toMatch(
      /^vm-broken: step inspect: under management lock freeze \(CanNotDelete\) on .*: refusing to touch it/,
    );
    expect(writes(e)).toEqual([]);
  });

  it("locks that cannot be read stop the repair with a clear line (never 'unlocked')", async () => {
    const e = await setup({ server: { locksForbidden: [SUB_A] } });
    const r = await workflow(e, initJournal(e.plan, undefined)).runAll();
    expect(r.failed[0]!.error).toMatch(
      new RegExp(
        `^vm-broken: step inspect: cannot read management locks of subscription ${SUB_A} ` +
          "\\(403 AuthorizationFailed: .*\\); rdp-guard never assumes a VM is unlocked: grant " +
          "Microsoft.Authorization/locks/read",
      ),
    );
    expect(r.failed[0]!.error).not.toMatch(/\n/);
    expect(writes(e)).toEqual([]);
  });

  it("a lock added while the copy was repaired stops the repair before deallocation", async () => {
    const e = await setup();
    const r = await workflow(e, initJournal(e.plan, undefined), {
      hook: (s) => {
        if (s === "detach-copy") e.fleet.rows.push(lockRow(e.vmId, "late", "ReadOnly"));
      },
    }).runAll();
    expect(r.failed[0]!.error).toMatch(/step pre-swap-check: under management lock late/);
    expect(deallocations(e)).toEqual([]);
  });
});

describe("defect 6: the rescue VM's image differs from the broken disk's", () => {
  it("picks another image than the VM's, so the copy's disk signature does not collide", async () => {
    expect(
      pickRescueSku({
        publisher: "MicrosoftWindowsServer",
        offer: "WindowsServer",
        sku: "2022-datacenter-azure-edition",
      }),
    ).toBe("2019-datacenter-gensecond");
    expect(
      pickRescueSku({ publisher: "MicrosoftWindowsServer", offer: "WindowsServer", sku: "2019-datacenter-gensecond" }),
    ).toBe("2022-datacenter-azure-edition");
    for (const sku of ["2022-datacenter-azure-edition", "2019-datacenter-gensecond"]) {
      const e = await setup({ seed: { imageSku: sku } });
      const r = await workflow(e, initJournal(e.plan, undefined)).runAll();
      expect(r.failed).toEqual([]); // the fake's guest fails on a signature collision
      const rescuePut = e.compute.log.find((l) => l.method === "PUT" && /virtualMachines\/rescue-/.test(l.path))!;
      expect(rescuePut.status).toBe(201);
      await e.server.stop();
    }
  });
});

describe("defect 7: pre-flight refusals and what the copy carries over", () => {
  it.each([
    ["ADE/BitLocker", { ade: true }, /Azure Disk Encryption \(BitLocker\)/],
    ["Confidential VM", { confidential: true, trustedLaunch: false }, /Confidential VM/],
    ["ephemeral OS disk", { ephemeral: true }, /ephemeral OS disk/],
    ["unmanaged disks", { unmanaged: true }, /unmanaged OS disk/],
  ] as const)("refuses %s before anything changes", async (_what, seed, why) => {
    const e = await setup({ seed });
    const r = await workflow(e, initJournal(e.plan, undefined)).runAll();
    expect(r.failed[0]!.error).toMatch(new RegExp(`step inspect: .*${why.source}`));
    expect(writes(e)).toEqual([]);
  });

  it("carries over CMK, zone and ZRS, Trusted Launch; finds the OS disk in another group", async () => {
    const des = `/subscriptions/${SUB_A}/resourceGroups/rg-keys/providers/Microsoft.Compute/diskEncryptionSets/des`;
    const e = await setup({
      seed: { diskEncryptionSetId: des, zones: ["2"], diskSku: "Premium_ZRS", diskResourceGroup: "rg-disks" },
    });
    expect((await workflow(e, initJournal(e.plan, undefined)).runAll()).failed).toEqual([]);
    const copy = [...e.compute.store.values()].find((v) => /\/disks\/vm-broken-osdisk-rdpguard/.test(v.id))!;
    expect(copy).toMatchObject({
      zones: ["2"],
      sku: { name: "Premium_ZRS" },
      properties: {
        encryption: { type: "EncryptionAtRestWithCustomerKey", diskEncryptionSetId: des },
        securityProfile: { securityType: "TrustedLaunch" },
      },
    });
    const snap = [...e.compute.store.values()].find((v) => /\/snapshots\//.test(v.id))!;
    expect(snap.properties).toMatchObject({
      encryption: { diskEncryptionSetId: des },
      creationData: { sourceResourceId: e.diskId },
    });
    expect(e.diskId).toMatch(/resourceGroups\/rg-disks\//);
  });

  it("an OS disk that answers 404 is an error, not a skip", async () => {
    const e = await setup();
    e.compute.store.delete(e.diskId.toLowerCase());
    const r = await workflow(e, initJournal(e.plan, undefined)).runAll();
    expect(r.failed[0]!.error).toMatch(/step inspect: OS disk .*vm-broken-osdisk not found \(404\)/);
    expect(writes(e)).toEqual([]);
  });
});

describe("defect 8: nothing fails after deallocation that could be checked before it", () => {
  it("a copy that is still attached elsewhere after the detach stops before deallocation", async () => {
    const e = await setup();
    const r = await workflow(e, initJournal(e.plan, undefined), {
      hook: (s) => {
        if (s !== "offline-script") return;
        // Someone attached our copy to another VM meanwhile.
        const copy = [...e.compute.store.values()].find((v) => /\/disks\/vm-broken-osdisk-rdpguard/.test(v.id))!;
        const rescue = [...e.compute.store.values()].find((v) => /virtualMachines\/rescue-/.test(v.id))!;
        (rescue.properties as VmProps).storageProfile.dataDisks = [];
        copy.managedBy = `${e.vmId}-thief`;
      },
    }).runAll();
    expect(r.failed[0]!.error).toMatch(/step detach-copy: repaired copy .* is still attached to .*-thief/);
    expect(deallocations(e)).toEqual([]);
  });

  it("a swap precondition that fails (generation) stops before deallocation", async () => {
    const e = await setup();
    const r = await workflow(e, initJournal(e.plan, undefined), {
      hook: (s) => {
        if (s !== "detach-copy") return;
        const copy = [...e.compute.store.values()].find((v) => /\/disks\/vm-broken-osdisk-rdpguard/.test(v.id))!;
        copy.properties.hyperVGeneration = "V1";
      },
    }).runAll();
    expect(r.failed[0]!.error).toMatch(/step pre-swap-check: repaired copy is generation V1, the VM needs V2/);
    expect(deallocations(e)).toEqual([]);
    expect(REPAIR_STEPS.indexOf("pre-swap-check")).toBeLessThan(REPAIR_STEPS.indexOf("deallocate"));
  });
});

describe("defect 11: per-VM names from a hash of the VM id; the disk swapped in is the one repaired", () => {
  it("vm-app-01 and vm-app-02 get their own rescue VMs, and each runs on its own repaired copy", async () => {
    const e = await setup({ names: ["vm-app-01", "vm-app-02"] });
    const journal = initJournal(e.plan, undefined);
    expect((await workflow(e, journal).runAll()).failed).toEqual([]);
    const [a, b] = Object.values(journal.vms);
    expect(a!.facts.rescueVmName).not.toBe(b!.facts.rescueVmName);
    assertRepaired(e, "vm-app-01", a!.id);
    assertRepaired(e, "vm-app-02", b!.id);
    expect(vmModel(e, a!.id).storageProfile.osDisk.managedDisk.id).not.toBe(
      vmModel(e, b!.id).storageProfile.osDisk.managedDisk.id,
    );
    expect(
      e.compute.log.filter((l) => l.method === "PUT" && /virtualMachines\/rescue-[0-9a-f]{10}$/.test(l.path)).length,
    ).toBe(2);
  });

  it("refuses to run the offline script on a rescue VM that holds another disk too", async () => {
    const e = await setup();
    const r = await workflow(e, initJournal(e.plan, undefined), {
      hook: (s) => {
        if (s !== "rescue-vm") return;
        const rescue = [...e.compute.store.values()].find((v) => /virtualMachines\/rescue-/.test(v.id))!;
        (rescue.properties as VmProps).storageProfile.dataDisks.push({ managedDisk: { id: `${e.diskId}-other-copy` } });
      },
    }).runAll();
    expect(r.failed[0]!.error).toMatch(
      /step offline-script: rescue VM rescue-[0-9a-f]+ has data disks \[.*\], expected only/,
    );
    expect(deallocations(e)).toEqual([]);
  });

  it("renders the script for our copy's id and LUN; the report echoes both and the attempt", async () => {
    const e = await setup();
    const reports: Record<string, unknown>[] = [];
    e.compute.afterOfflineScript = (_rescue, report) => reports.push({ ...report });
    const r = await workflow(e, initJournal(e.plan, undefined)).runAll();
    expect(r.failed).toEqual([]);
    const copyId = vmModel(e).storageProfile.osDisk.managedDisk.id;
    expect(reports).toEqual([expect.objectContaining({ diskId: copyId, lun: 0, attempt: "1", failed: 0 })]);
    expect((await loadJournal(e.journalFile))!.vms[e.vmId]!.facts.repairedDiskId).toBe(copyId);
  });

  type Tamper = (e: Env, report: Record<string, unknown>, rescueId: string) => void;
  it.each<[string, Tamper, RegExp]>([
    [
      "is about another disk id",
      (e, report) => (report.diskId = `${e.diskId}-copy-of-vm-app-02`),
      /offline-script: the offline script reports on disk \S+-copy-of-vm-app-02, not our copy \S+-osdisk-rdpguard-/,
    ],
    [
      "is from an earlier attempt",
      (_e, report) => (report.attempt = "0"),
      /step offline-script: the offline script's report is from attempt 0, not the current 1$/,
    ],
    [
      "names LUN 0 while ARM now shows our copy at LUN 3",
      (e, _report, rescueId) => {
        const rescue = e.compute.store.get(rescueId.toLowerCase())!.properties as VmProps;
        (rescue.storageProfile.dataDisks[0] as { lun?: number }).lun = 3;
      },
      /step offline-script: the offline script repaired the disk at LUN 0, but ARM shows our copy at LUN 3 of rescue-/,
    ],
  ])("a report that %s is refused before deallocation, with one line", async (_case, tamper, message) => {
    const e = await setup();
    e.compute.afterOfflineScript = (rescueId, report) => tamper(e, report, rescueId);
    const lines: string[] = [];
    const r = await new RepairWorkflow(e.cloud, initJournal(e.plan, undefined), e.plan, {
      journalFile: e.journalFile,
      nicSubnet: async () => SUBNET,
      sleep: async () => undefined,
      log: (l) => lines.push(l),
    }).runAll();
    expect(r.done).toEqual([]);
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]!.error).toMatch(message);
    expect(r.failed[0]!.error).not.toContain("\n");
    expect(deallocations(e)).toEqual([]);
    expect(vmModel(e).storageProfile.osDisk.managedDisk.id).toBe(e.diskId);
    const j = (await loadJournal(e.journalFile))!.vms[e.vmId]!;
    expect(j.steps["offline-script"]?.status).toBe("failed");
    expect(j.steps["pre-swap-check"]).toBeUndefined();
    expect(lines.filter((l) => l.startsWith("FAILED"))).toHaveLength(1);
  });
});

describe("defect 13: reuse and delete only what carries our tag and recorded id", () => {
  it("a same-named rescue VM that is not ours is neither reused nor deleted", async () => {
    const e = await setup();
    const journal = initJournal(e.plan, undefined);
    await expect(workflow(e, journal, { crashAt: "disk-copy" }).runAll()).rejects.toThrow(Crash);
    const name = (await loadJournal(e.journalFile))!.vms[e.vmId]!.facts.rescueVmName!;
    const impostor = e.compute.seedBrokenVm(SUB_A, RG, name, { subnetId: SUBNET }); // a customer VM of that name
    const r = await workflow(e, (await loadJournal(e.journalFile))!).runAll();
    expect(r.failed[0]!.error).toMatch(/step rescue-vm: rescue VM .* exists but was not created by this repair/);
    expect(e.compute.store.has(impostor.vmId.toLowerCase())).toBe(true);
  });

  it("a journal that names a customer VM as the rescue VM cannot make cleanup delete it", async () => {
    const e = await setup();
    await expect(workflow(e, initJournal(e.plan, undefined), { crashAt: "verify" }).runAll()).rejects.toThrow(Crash);
    const customer = e.compute.seedBrokenVm(SUB_A, RG, "vm-customer", { subnetId: SUBNET });
    const j = (await loadJournal(e.journalFile))!;
    j.vms[e.vmId]!.facts.rescueVmName = "vm-customer";
    writeFileSync(e.journalFile, JSON.stringify(j));
    const r = await workflow(e, initJournal(e.plan, (await loadJournal(e.journalFile))!)).runAll();
    expect(r.failed[0]!.error).toMatch(
      /step cleanup: rescue VM .*vm-customer exists but was not created by this repair/,
    );
    expect(e.compute.store.has(customer.vmId.toLowerCase())).toBe(true);
  });
});

describe("defect 14: edited plans and journals do not steer repair", () => {
  it("refuses a journal of another plan with a clear line", async () => {
    const e = await setup();
    const journal = initJournal(e.plan, undefined);
    expect(() => initJournal({ ...e.plan, id: "ffffffffffff" }, journal)).toThrow(
      /^the journal belongs to plan a1b2c3d4e5f6, not ffffffffffff: finish that plan, or move the journal aside$/,
    );
  });

  it("refuses a journal whose plan's VM list changed, and a journal that adds a VM", async () => {
    const e = await setup();
    const journal = initJournal(e.plan, undefined);
    const edited = {
      ...e.plan,
      vms: [
        ...e.plan.vms,
        planVm(`/subscriptions/${SUB_A}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/vm-x`, "vm-x"),
      ],
    };
    expect(() => initJournal(edited, journal)).toThrow(/another VM list than plan a1b2c3d4e5f6 has now/);
    const added = structuredClone(journal);
    added.vms["/x"] = { ...journal.vms[e.vmId]!, id: "/x", name: "vm-x" };
    expect(() => initJournal(e.plan, added)).toThrow(
      /the journal names VM 'vm-x', which plan a1b2c3d4e5f6 does not plan for offline repair/,
    );
  });

  it("refuses a plan whose VM id disagrees with its name, and a plan id with ../", async () => {
    const e = await setup();
    const lying = { ...e.plan, vms: [{ ...e.plan.vms[0]!, name: "vm-innocent" }] };
    expect(() => initJournal(lying, undefined)).toThrow(/VM 'vm-innocent' has id '.*vm-broken', which does not match/);
    expect(() => initJournal({ ...e.plan, id: "../../etc/x" }, undefined)).toThrow(
      /plan id '..\/..\/etc\/x' is not valid/,
    );
  });

  it("rollback attaches only the disk the journal recorded and our snapshot was taken from", async () => {
    const e = await setup();
    const journal = initJournal(e.plan, undefined);
    await workflow(e, journal).runAll();
    const foreign = e.compute.seedBrokenVm(SUB_A, RG, "vm-victim", { subnetId: SUBNET });
    await e.cloud.deallocate(SUB_A, RG, "vm-victim");
    e.compute.store.get(foreign.diskId.toLowerCase())!.managedBy = undefined; // a free, foreign disk
    const vm = journal.vms[e.vmId]!;
    vm.facts.osDiskId = foreign.diskId;
    vm.facts.osDiskName = "vm-victim-osdisk";
    await expect(rollbackVm(e.cloud, vm, journal, e.journalFile)).rejects.toThrow(
      /our snapshot .* was not taken from .*vm-victim-osdisk: refusing to attach a disk the repair did not record/,
    );
    expect(vmModel(e).storageProfile.osDisk.managedDisk.id).toMatch(/vm-broken-osdisk-rdpguard-/);
    expect(e.compute.log.filter((l) => /vm-broken\/deallocate$/.test(l.path)).length).toBe(1); // only the repair's own
  });
});

describe("defect 16: the verify step reads the extension named by --extension-name", () => {
  it("reports the hardening result of a custom-named extension", async () => {
    const e = await setup();
    // The VM's hardening extension runs under a custom name.
    const view = e.fleet.instanceViews.get(e.vmId.toLowerCase())!;
    const summary = {
      tool: "azure-rdp-guard",
      mode: "enforce",
      checked: 30,
      failed: 0,
      notOk: ["tls12-server-enabled=drift"],
    };
    const extensions = [
      {
        name: "corp-rdp",
        type: "Microsoft.Compute.CustomScriptExtension",
        statuses: [{ code: "ProvisioningState/succeeded" }],
        substatuses: [{ code: "ComponentStatus/StdOut/succeeded", message: JSON.stringify(summary) }],
      },
    ];
    e.fleet.instanceViews.set(e.vmId.toLowerCase(), { ...view, extensions });
    const journal = initJournal(e.plan, undefined);
    expect((await workflow(e, journal, { extensionName: "corp-rdp" }).runAll()).failed).toEqual([]);
    expect(journal.vms[e.vmId]!.steps.verify?.detail).toMatch(/corp-rdp report: tls12-server-enabled=drift/);
  });
});
