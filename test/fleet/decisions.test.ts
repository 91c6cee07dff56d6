import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SdkFleetSource, staticTokenCredential } from "../../src/azure/sdk-source";
import { DEFAULT_CONFIG } from "../../src/config";
import { AuditDocument, auditFleet } from "../../src/fleet/audit";
import { buildPlan } from "../../src/fleet/plan";
import { FakeArmServer } from "../harness/fake-arm";
import { FleetBuilder, SUB_A } from "../harness/fake-fleet";

/*
 * One test per row of docs/fleet-decisions.md, each VM audited through the strict fake and planned.
 * The 500/429 rows make the fake fail the instance view of that VM.
 */
const rows: {
  name: string;
  vm: Partial<Parameters<FleetBuilder["vm"]>[0]>;
  view?: 500 | 429;
  status: string;
  action: string;
  why: RegExp;
}[] = [
  { name: "vm-ready-clean", vm: { hardening: {} }, status: "compliant", action: "", why: /compliant: nothing to do/ },
  {
    name: "vm-ready-failedcheck",
    vm: { hardening: { notOk: ["nla-required=drift"], failed: 1 } },
    status: "drifted",
    action: "online-rerun",
    why: /failed checks nla-required=drift/,
  },
  {
    name: "vm-ready-scripterror",
    vm: { hardening: { provisioning: "failed", failed: 1 } },
    status: "drifted",
    action: "online-rerun",
    why: /script failed.*agent is ready, so re-run it online/,
  },
  {
    name: "vm-ready-running",
    vm: { hardening: { provisioning: "transitioning" } },
    status: "compliant",
    action: "",
    why: /still running: audit again/,
  },
  {
    name: "vm-ready-noext",
    vm: { hardening: null },
    status: "unhardened",
    action: "online-rerun",
    why: /no RdpHardening extension yet/,
  },
  {
    name: "vm-ready-slotused",
    vm: { hardening: null, otherCse: "other" },
    status: "unhardened",
    action: "",
    why: /CustomScript slot used by 'other'/,
  },
  {
    name: "vm-agent-notready",
    vm: { hardening: {}, agentReady: false },
    status: "unreachable",
    action: "offline-repair",
    why: /VM agent not ready/,
  },
  {
    name: "vm-deallocated",
    vm: { hardening: {}, power: "deallocated" },
    status: "unreachable",
    action: "SKIP",
    why: /VM is deallocated/,
  },
  {
    name: "vm-view-500",
    vm: { hardening: {} },
    view: 500,
    status: "unknown",
    action: "",
    why: /unknown: instance view unreadable.*nothing planned/,
  },
  {
    name: "vm-view-429",
    vm: { hardening: {} },
    view: 429,
    status: "unknown",
    action: "",
    why: /unknown: instance view unreadable/,
  },
];

let audit: AuditDocument;
let server: FakeArmServer;

beforeAll(async () => {
  const f = new FleetBuilder();
  const nsg = f.nsg(SUB_A, "rg", "nsg", [
    {
      name: "admin",
      priority: 100,
      access: "Allow",
      sourceAddressPrefix: "203.0.113.10/32",
      destinationPortRange: "3389",
    },
  ]);
  const subnet = f.vnet(SUB_A, "rg", "vnet", [{ name: "s", nsgId: nsg }]).get("s")!;
  for (const r of rows) f.vm({ sub: SUB_A, rg: "rg", name: r.name, subnetId: subnet, ...r.vm });
  const failing = new Map(rows.filter((r) => r.view).map((r) => [r.name, r.view!]));
  server = await FakeArmServer.start(f.build());
  // The fake answers these instance views with a server error or a throttle that outlasts the retries.
  const original = (server as unknown as { handle: (...a: unknown[]) => Promise<void> }).handle.bind(server);
  (server as unknown as { handle: (...a: unknown[]) => Promise<void> }).handle = async (
    fleet,
    opts,
    req,
    body,
    res,
  ) => {
    const m = /virtualMachines\/([^/]+)\/instanceView/i.exec((req as { url?: string }).url ?? "");
    const status = m ? failing.get(m[1]!) : undefined;
    if (!status) return original(fleet, opts, req, body, res);
    const r = res as import("node:http").ServerResponse;
    r.writeHead(status, { "content-type": "application/json", ...(status === 429 ? { "retry-after": "1" } : {}) });
    r.end(
      JSON.stringify({
        error: { code: status === 429 ? "TooManyRequests" : "InternalServerError", message: "injected" },
      }),
    );
  };
  const source = new SdkFleetSource({
    credential: staticTokenCredential("t"),
    endpoint: server.url,
    ca: server.ca,
    sleep: async () => undefined,
  });
  audit = await auditFleet(
    source,
    { subscriptions: [SUB_A], managementGroups: [], resourceGroups: [], tags: [] },
    { config: DEFAULT_CONFIG },
  );
});
afterAll(async () => server?.stop());

describe("decision table: audit state -> plan action (docs/fleet-decisions.md)", () => {
  for (const r of rows) {
    it(`${r.name}: ${r.status} -> ${r.action || "nothing"}`, () => {
      const vm = audit.vms.find((v) => v.name === r.name)!;
      expect(vm.status).toContain(r.status);
      const planned = buildPlan(audit).vms.find((v) => v.name === r.name)!;
      expect(planned.skipped ? "SKIP" : planned.actions.join("+")).toBe(r.action);
      expect(planned.why.join(" | ")).toMatch(r.why);
      // Never offline repair on a VM that is reachable or whose state is unknown.
      if (vm.agent?.ready !== false) expect(planned.actions).not.toContain("offline-repair");
    });
  }

  it("an unknown VM is never reported compliant or unreachable", () => {
    for (const name of ["vm-view-500", "vm-view-429"]) {
      const vm = audit.vms.find((v) => v.name === name)!;
      expect(vm.status).not.toContain("compliant");
      expect(vm.status).not.toContain("unreachable");
      expect(audit.findings.filter((f) => f.resource.name === name).map((f) => f.checkId)).not.toContain("RDPG021");
    }
  });
});
