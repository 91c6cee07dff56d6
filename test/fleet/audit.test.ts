import { afterEach, describe, expect, it } from "vitest";
import { SdkFleetSource, staticTokenCredential } from "../../src/azure/sdk-source";
import { Selection } from "../../src/azure/queries";
import { DEFAULT_CONFIG } from "../../src/config";
import { AuditDocument, auditFleet } from "../../src/fleet/audit";
import { FakeArmOptions, FakeArmServer } from "../harness/fake-arm";
import { SUB_A, SUB_B, largeFleet, scenarioFleet } from "../harness/fake-fleet";

let server: FakeArmServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const selection = (over: Partial<Selection> = {}): Selection => ({
  subscriptions: [SUB_A, SUB_B],
  managementGroups: [],
  resourceGroups: [],
  tags: [],
  ...over,
});

async function audit(
  sel: Selection,
  fleet = scenarioFleet(),
  opts: FakeArmOptions = {},
  pageSize?: number,
): Promise<{ doc: AuditDocument; source: SdkFleetSource }> {
  server = await FakeArmServer.start(fleet, opts);
  const source = new SdkFleetSource({
    credential: staticTokenCredential("test-token"),
    endpoint: server.url,
    ca: server.ca,
    pageSize,
    sleep: async () => undefined,
  });
  const doc = await auditFleet(source, sel, { config: DEFAULT_CONFIG, concurrency: 4 });
  return { doc, source };
}

const statusOf = (doc: AuditDocument) =>
  Object.fromEntries(doc.vms.map((v) => [v.name, [...v.status].sort().join(",")]));

describe("rdp-guard audit against a fake ARM server (real SDK clients)", () => {
  it("tells every VM state apart", async () => {
    const { doc } = await audit(selection());
    expect(statusOf(doc)).toEqual({
      "vm-ok": "compliant",
      "vm-drift": "drifted",
      "vm-exposed": "exposed",
      "vm-shielded": "compliant", // subnet allows *, the NIC's NSG denies: intersection is empty
      "vm-down": "unreachable",
      "vm-linux": "not-windows",
      "vm-unhardened": "unhardened",
      "vm-stopped": "unreachable",
      "vm-nonsg": "exposed", // public IP and no NSG at all
      "vm-locked": "exposed",
    });
    const exposed = doc.vms.find((v) => v.name === "vm-exposed")!;
    expect(exposed.exposure.rules).toEqual([
      expect.objectContaining({ nsgName: "nsg-open", rule: "open-rdp", priority: 300, protocol: "TCP" }),
    ]);
    expect(doc.vms.find((v) => v.name === "vm-drift")!.hardening!.notOk).toContain("tls12-server-enabled=drift");
    expect(doc.vms.find((v) => v.name === "vm-unhardened")!.hardening!.otherCustomScript).toBe("legacy-bootstrap");
    expect(doc.vms.find((v) => v.name === "vm-locked")!.locks).toEqual([
      expect.objectContaining({ level: "CanNotDelete" }),
    ]);
  });

  it("reports findings per VM with the engine's check ids", async () => {
    const { doc } = await audit(selection());
    const ids = doc.findings.map((f) => `${f.resource.name}:${f.checkId}`).sort();
    expect(ids).toEqual(
      expect.arrayContaining([
        "vm-exposed:RDPG001",
        "vm-drift:RDPG020",
        "vm-down:RDPG021",
        "vm-unhardened:RDPG011",
        "vm-unhardened:RDPG010",
      ]),
    );
    expect(ids.filter((i) => i.startsWith("vm-linux"))).toEqual([]);
    expect(ids.filter((i) => i.startsWith("vm-shielded"))).toEqual([]);
  });

  it("fetches instance views only for running Windows VMs, through a bounded pool", async () => {
    const { doc } = await audit(selection());
    // 10 VMs: no view for the Linux VM or the deallocated one.
    expect(server!.stats.instanceViews).toBe(8);
    expect(server!.stats.maxInFlight).toBeLessThanOrEqual(4 + 5); // pool of 4 (+ the 5 parallel graph queries at most)
    expect(doc.vms).toHaveLength(10);
  });

  it("filters by resource group, tag and subscription in the Resource Graph query", async () => {
    expect((await audit(selection({ subscriptions: [SUB_B] }))).doc.vms.map((v) => v.name)).toEqual(["vm-locked"]);
    await server!.stop();
    server = undefined;
    expect(
      (await audit(selection({ tags: [{ key: "env", value: "prod" }] }))).doc.vms.map((v) => v.name).sort(),
    ).toEqual(["vm-drift", "vm-ok"]);
  });

  it("follows skipToken pages", async () => {
    const { doc, source } = await audit(selection(), largeFleet(120), {}, 25);
    expect(doc.vms).toHaveLength(120);
    expect(source.stats.graphPages).toBeGreaterThan(5);
  });

  it("honours Resource Graph 429s that carry only the quota headers, and waits out a spent quota", async () => {
    server = await FakeArmServer.start(largeFleet(60), { throttleEvery: 3, quotaSpentEvery: 2, resetsAfterSeconds: 2 });
    const waits: number[] = [];
    const lines: string[] = [];
    const source = new SdkFleetSource({
      credential: staticTokenCredential("t"),
      endpoint: server.url,
      ca: server.ca,
      pageSize: 20,
      sleep: async (ms) => void waits.push(ms),
      onWait: (l) => lines.push(l),
    });
    const doc = await auditFleet(source, selection(), { config: DEFAULT_CONFIG, concurrency: 4 });
    expect(doc.vms).toHaveLength(60);
    expect(server.graph.stats.throttled).toBeGreaterThan(0);
    // Every throttled query was retried after the 2 s the service announced (no Retry-After was sent).
    expect(server.graph.stats.retryGaps.length).toBe(server.graph.stats.throttled);
    expect(waits.filter((w) => w === 2000).length).toBeGreaterThanOrEqual(server.graph.stats.throttled);
    expect(lines.some((l) => /429 \(x-ms-user-quota-resets-after: 00:00:02\); waiting 2\.0 s/.test(l))).toBe(true);
    expect(source.stats.quotaWaits).toBeGreaterThan(0);
  });

  it("sends the bearer token on every request", async () => {
    await audit(selection());
    expect(server!.stats.unauthorized).toBe(0);
  });
});
