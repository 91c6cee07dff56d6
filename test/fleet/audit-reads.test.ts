import { afterEach, describe, expect, it } from "vitest";
import { SdkFleetSource, staticTokenCredential } from "../../src/azure/sdk-source";
import { DEFAULT_CONFIG } from "../../src/config";
import { AuditDocument, auditFleet } from "../../src/fleet/audit";
import { buildPlan } from "../../src/fleet/plan";
import { renderPlanText } from "../../src/report/fleet-text";
import { FakeArmOptions, FakeArmServer } from "../harness/fake-arm";
import type { FakeFleet } from "../harness/fake-arm";
import { FleetBuilder, SUB_A } from "../harness/fake-fleet";

let server: FakeArmServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function auditOf(fleet: FakeFleet, opts: FakeArmOptions = {}): Promise<AuditDocument> {
  server = await FakeArmServer.start(fleet, opts);
  const source = new SdkFleetSource({
    credential: staticTokenCredential("t"),
    endpoint: server.url,
    ca: server.ca,
    sleep: async () => undefined,
  });
  return auditFleet(
    source,
    { subscriptions: [SUB_A], managementGroups: [], resourceGroups: [], tags: [] },
    { config: DEFAULT_CONFIG },
  );
}

const open = {
  name: "open-rdp",
  priority: 300,
  access: "Allow",
  sourceAddressPrefix: "*",
  destinationPortRange: "3389",
};
const rg = `/subscriptions/${SUB_A}/resourceGroups/rg`;

function exposedVm(f: FleetBuilder, name: string, extra: Partial<Parameters<FleetBuilder["vm"]>[0]> = {}): string {
  const nsg = f.nsg(SUB_A, "rg", `nsg-${name}`, [open]);
  const subnet = f.vnet(SUB_A, "rg", `vnet-${name}`, [{ name: "s", nsgId: nsg }]).get("s")!;
  return f.vm({
    sub: SUB_A,
    rg: "rg",
    name,
    subnetId: subnet,
    publicIp: true,
    hardening: { notOk: ["x=drift"] },
    ...extra,
  });
}

describe("locks come from the Locks API: VM, disks, NICs and resource group (issue 11 defect 2)", () => {
  it("a lock on any of them keeps the VM out of the plan", async () => {
    const f = new FleetBuilder();
    const vm = exposedVm(f, "vm-vmlock");
    exposedVm(f, "vm-disklock");
    exposedVm(f, "vm-niclock");
    exposedVm(f, "vm-free");
    f.lock(vm, "on-vm", "ReadOnly");
    f.lock(`${rg}/providers/Microsoft.Compute/disks/vm-disklock-osdisk`, "on-disk", "CanNotDelete");
    f.lock(`${rg}/providers/Microsoft.Network/networkInterfaces/vm-niclock-nic`, "on-nic", "CanNotDelete");
    const audit = await auditOf(f.build());
    expect(server!.locks.requests).toBe(1); // one list per subscription
    const plan = buildPlan(audit);
    const by = Object.fromEntries(plan.vms.map((v) => [v.name, v]));
    expect(by["vm-vmlock"]!.skipped).toMatch(/under management lock on-vm \(ReadOnly\)/);
    expect(by["vm-disklock"]!.skipped).toMatch(/on-disk \(CanNotDelete\)/);
    expect(by["vm-niclock"]!.skipped).toMatch(/on-nic \(CanNotDelete\)/);
    expect(by["vm-free"]!.actions).toEqual(["online-rerun", "nsg-fix"]);
    expect(plan.nsgFixes.map((x) => x.nsgName)).toEqual(["nsg-vm-free"]);
  });

  it("a resource-group lock covers every VM in it", async () => {
    const f = new FleetBuilder();
    exposedVm(f, "vm-a");
    f.lock(rg, "freeze", "CanNotDelete");
    const plan = buildPlan(await auditOf(f.build()));
    expect(plan.vms[0]!.skipped).toMatch(/freeze \(CanNotDelete\)/);
  });

  it("unreadable locks stop the audit with one clear line, never 'unlocked'", async () => {
    const f = new FleetBuilder();
    exposedVm(f, "vm-a");
    await expect(auditOf(f.build(), { locksForbidden: [SUB_A] })).rejects.toThrow(
      /cannot read management locks of subscription .* \(403 AuthorizationFailed: .*\); rdp-guard never assumes a VM is unlocked/,
    );
  });
});

describe("locks on the NSG a fix writes to are planned for, not discovered by a failing pulumi up", () => {
  /** An exposed VM in `rg` whose NSG sits in net-<name>: a lock there concerns the fix, not the VM. */
  function vmWithNetNsg(f: FleetBuilder, name: string): string {
    const nsg = f.nsg(SUB_A, `net-${name}`, `nsg-${name}`, [open]);
    const subnet = f.vnet(SUB_A, "rg", `vnet-${name}`, [{ name: "s", nsgId: nsg }]).get("s")!;
    f.vm({ sub: SUB_A, rg: "rg", name, subnetId: subnet, publicIp: true, hardening: { notOk: ["x=drift"] } });
    return nsg;
  }

  it.each([
    ["the NSG", (nsg: string) => nsg],
    ["its resource group", () => `/subscriptions/${SUB_A}/resourceGroups/net-vm-ro`],
  ])(
    "a ReadOnly lock on %s blocks the nsg-fix with the reason; the VM's other work is still planned",
    async (_w, at) => {
      const f = new FleetBuilder();
      const nsg = vmWithNetNsg(f, "vm-ro");
      vmWithNetNsg(f, "vm-free");
      f.lock(at(nsg), "net-freeze", "ReadOnly");
      const audit = await auditOf(f.build());
      const plan = buildPlan(audit);
      const by = Object.fromEntries(plan.vms.map((v) => [v.name, v]));
      expect(by["vm-ro"]!.skipped).toBeUndefined();
      expect(by["vm-ro"]!.actions).toEqual(["online-rerun"]);
      expect(by["vm-ro"]!.blocked).toEqual([
        expect.stringMatching(
          /^nsg-fix: nsg-vm-ro is under ReadOnly management lock net-freeze on .*net-vm-ro.*: lift/,
        ),
      ]);
      expect(by["vm-ro"]!.why.join("\n")).toMatch(/nsg-fix not possible: nsg-vm-ro is under ReadOnly management lock/);
      expect(plan.nsgFixes.map((x) => x.nsgName)).toEqual(["nsg-vm-free"]);
      expect(by["vm-free"]!.blocked).toBeUndefined();
      const text = renderPlanText(plan);
      expect(text).toMatch(/^online-rerun\+BLOCKED\s+vm-ro /m);
      expect(text).toMatch(/, 1 NSG fix\(es\), 0 offline repair\(s\), 0 skipped, 1 blocked$/m);
    },
  );

  it(
    "a CanNotDelete lock on the NSG lets the Deny be added " + "and says it cannot be removed while the lock stands",
    async () => {
      const f = new FleetBuilder();
      const nsg = vmWithNetNsg(f, "vm-cnd");
      f.lock(nsg, "keep", "CanNotDelete");
      const plan = buildPlan(await auditOf(f.build()));
      expect(plan.vms[0]!.actions).toEqual(["online-rerun", "nsg-fix"]);
      expect(plan.vms[0]!.blocked).toBeUndefined();
      expect(plan.vms[0]!.why.join("\n")).toMatch(/nsg-fix note: nsg-vm-cnd is under CanNotDelete lock keep/);
    },
  );
});

describe("could not read is never compliant (issue 11 defect 12)", () => {
  it("an NSG that cannot be read makes exposure unknown: a finding, no NSG fix, not compliant", async () => {
    const f = new FleetBuilder();
    const subnet = f
      .vnet(SUB_A, "rg", "vnet", [
        { name: "s", nsgId: `${rg}/providers/Microsoft.Network/networkSecurityGroups/hidden` },
      ])
      .get("s")!;
    f.vm({ sub: SUB_A, rg: "rg", name: "vm-hidden", subnetId: subnet, hardening: {} });
    const audit = await auditOf(f.build());
    const vm = audit.vms[0]!;
    expect(vm.status).toEqual(["unknown"]);
    expect(vm.exposure.unknown).toMatch(/NSG .*hidden .*could not be read/);
    expect(audit.findings.map((x) => x.checkId)).toContain("RDPG003");
    const planned = buildPlan(audit).vms[0]!;
    expect(planned.actions).toEqual([]);
    expect(planned.why.join()).toMatch(/nsg-fix not planned: exposure unknown/);
  });

  it("a NIC that cannot be read makes exposure unknown", async () => {
    const f = new FleetBuilder();
    const subnet = f.vnet(SUB_A, "rg", "vnet", [{ name: "s" }]).get("s")!;
    f.vm({ sub: SUB_A, rg: "rg", name: "vm-nic", subnetId: subnet, hardening: {} });
    const fleet = f.build();
    const rows = fleet.rows.filter((r) => r.type !== "microsoft.network/networkinterfaces");
    const audit = await auditOf({ ...fleet, rows });
    expect(audit.vms[0]!.status).toEqual(["unknown"]);
    expect(audit.vms[0]!.exposure.unknown).toMatch(/NIC .*vm-nic-nic could not be read/);
  });
});

describe("public IP without an NSG (issue 11 defect 16)", () => {
  it("Standard is closed to inbound traffic; Basic is exposure; an unreadable IP is unknown", async () => {
    const f = new FleetBuilder();
    const subnet = f.vnet(SUB_A, "rg", "vnet", [{ name: "bare" }]).get("bare")!;
    f.vm({
      sub: SUB_A,
      rg: "rg",
      name: "vm-standard",
      subnetId: subnet,
      publicIp: true,
      publicIpSku: "Standard",
      hardening: {},
    });
    f.vm({
      sub: SUB_A,
      rg: "rg",
      name: "vm-basic",
      subnetId: subnet,
      publicIp: true,
      publicIpSku: "Basic",
      hardening: {},
    });
    f.vm({
      sub: SUB_A,
      rg: "rg",
      name: "vm-noip-row",
      subnetId: subnet,
      publicIp: true,
      publicIpSku: null,
      hardening: {},
    });
    const audit = await auditOf(f.build());
    const st = Object.fromEntries(audit.vms.map((v) => [v.name, v.status.join(",")]));
    expect(st).toEqual({ "vm-standard": "compliant", "vm-basic": "exposed", "vm-noip-row": "unknown" });
    expect(audit.vms.find((v) => v.name === "vm-basic")!.exposure.reason).toMatch(/SKU Basic/);
  });
});
