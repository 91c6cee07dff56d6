import * as tls from "node:tls";
import { request } from "node:https";
import { afterEach, describe, expect, it } from "vitest";
import { CLOUDS, RESOURCE_GRAPH_API_VERSION, resolveCloud } from "../../src/azure/clouds";
import { ArmLockReader, LocksUnreadableError, locksCovering, vmLockScopes } from "../../src/azure/locks";
import { typeQuery } from "../../src/azure/queries";
import { SdkFleetSource, agentFor, staticTokenCredential, trustedRoots } from "../../src/azure/sdk-source";
import { DEFAULT_LIMITS, QuotaPacer } from "../../src/azure/throttle";
import { FakeArmOptions, FakeArmServer } from "../harness/fake-arm";
import { FleetBuilder, SUB_A, SUB_B, largeFleet, scenarioFleet } from "../harness/fake-fleet";

let server: FakeArmServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const sel = { subscriptions: [SUB_A, SUB_B], managementGroups: [], resourceGroups: [], tags: [] };
const noSleep = async (): Promise<void> => undefined;

async function start(fleet = scenarioFleet(), opts: FakeArmOptions = {}): Promise<FakeArmServer> {
  server = await FakeArmServer.start(fleet, opts);
  return server;
}

/** The fields of the fake's answers these tests read: Resource Graph and Locks pages, ARM error bodies. */
interface RawBody {
  data?: unknown[];
  count?: number;
  $skipToken?: string;
  value?: { name: string }[];
  error?: { code: string; details: { code: string; message: string }[] };
}

/** A raw call to the fake, to check what it answers on its own. */
function raw(
  s: FakeArmServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: Record<string, unknown>; json: RawBody }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${s.url}${path}`,
      { method, ca: s.ca, headers: { authorization: "Bearer raw", "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text || "null") as RawBody }),
        );
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
const GRAPH = "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01";

describe("fake Resource Graph (rules from the service's docs and spec)", () => {
  it("has no lock rows, and answers an unknown table like the service", async () => {
    const s = await start();
    const locks = await raw(s, "POST", GRAPH, {
      query: "Resources | where type =~ 'microsoft.authorization/locks'",
      subscriptions: [SUB_B],
    });
    expect(locks.status).toBe(200);
    expect(locks.json.data).toEqual([]);
    const table = await raw(s, "POST", GRAPH, {
      query: "microsoftauthorizationlocks | limit 1",
      subscriptions: [SUB_B],
    });
    expect(table.status).toBe(400);
    expect(table.json.error!.code).toBe("BadRequest");
    expect(table.json.error!.details[0]!.code).toBe("InvalidQuery");
    expect(table.json.error!.details[1]!.message).toMatch(/does not refer to any known table/);
  });

  it("pages at most 1,000 rows and rejects a larger $top", async () => {
    const s = await start(largeFleet(1200));
    const q = { query: typeQuery("microsoft.network/networkinterfaces"), subscriptions: [SUB_A, SUB_B] };
    const first = await raw(s, "POST", GRAPH, { ...q, options: { $top: 1000 } });
    expect(first.json.count).toBe(1000);
    expect(first.json.$skipToken).toBeTruthy();
    expect((await raw(s, "POST", GRAPH, { ...q, options: { $top: 5000 } })).status).toBe(400);
  });

  it("throttles per user (15 queries per 5 s) with only the quota headers, no Retry-After", async () => {
    const s = await start();
    const q = { query: typeQuery("microsoft.network/virtualnetworks"), subscriptions: [SUB_A] };
    const answers = [];
    for (let i = 0; i < 16; i++) answers.push(await raw(s, "POST", GRAPH, q));
    expect(answers[14]!.status).toBe(200);
    expect(answers[14]!.headers["x-ms-user-quota-remaining"]).toBe("0");
    const last = answers[15]!;
    expect(last.status).toBe(429);
    expect(last.headers["retry-after"]).toBeUndefined();
    expect(last.headers["x-ms-user-quota-resets-after"]).toMatch(/^00:00:0[1-5]$/);
  });
});

describe("fake Management Locks API (locks.json 2020-05-01)", () => {
  it("lists at subscription, resource-group and resource scope, each with what lies below", async () => {
    const f = new FleetBuilder();
    const rg = `/subscriptions/${SUB_A}/resourceGroups/rg`;
    const vm = `${rg}/providers/Microsoft.Compute/virtualMachines/vm1`;
    f.lock(`/subscriptions/${SUB_A}`, "sub-lock", "ReadOnly");
    f.lock(rg, "rg-lock", "CanNotDelete");
    f.lock(vm, "vm-lock", "CanNotDelete");
    const s = await start(f.build());
    const names = async (scope: string) =>
      (await raw(s, "GET", `${scope}/providers/Microsoft.Authorization/locks?api-version=2020-05-01`)).json
        .value!.map((l) => l.name)
        .sort();
    expect(await names(`/subscriptions/${SUB_A}`)).toEqual(["rg-lock", "sub-lock", "vm-lock"]);
    expect(await names(rg)).toEqual(["rg-lock", "vm-lock"]);
    expect(await names(vm)).toEqual(["vm-lock"]);
    expect(
      (await raw(s, "GET", `/subscriptions/${SUB_A}/providers/Microsoft.Authorization/locks?api-version=2016-09-01`))
        .status,
    ).toBe(400);
  });

  it("the lock client follows nextLink pages and refuses to guess when it may not read", async () => {
    const f = new FleetBuilder();
    for (let i = 0; i < 7; i++) f.lock(`/subscriptions/${SUB_A}/resourceGroups/rg-${i}`, `l${i}`, "CanNotDelete");
    const s = await start(f.build(), { locksPageSize: 3, locksForbidden: [SUB_B] });
    const reader = new ArmLockReader(staticTokenCredential("t"), {
      endpoint: s.url,
      scope: CLOUDS.AzurePublicCloud.scope,
      agent: agentFor(s.ca),
      limits: { ...DEFAULT_LIMITS, sleep: noSleep },
    });
    expect((await reader.subscriptionLocks(SUB_A)).map((l) => l.name)).toEqual([
      "l0",
      "l1",
      "l2",
      "l3",
      "l4",
      "l5",
      "l6",
    ]);
    const denied = reader.subscriptionLocks(SUB_B);
    await expect(denied).rejects.toBeInstanceOf(LocksUnreadableError);
    await expect(denied).rejects.toThrow(
      /cannot read management locks of subscription .*403 AuthorizationFailed.*never assumes a VM is unlocked/,
    );
  });
});

describe("lock scopes of a VM (repair reuses them)", () => {
  it("covers the VM, its resource group, its disks and its NICs, and nothing beside them", () => {
    const rg = `/subscriptions/${SUB_A}/resourceGroups/rg`;
    const vm = `${rg}/providers/Microsoft.Compute/virtualMachines/vm1`;
    const scopes = vmLockScopes(vm, {
      storageProfile: {
        osDisk: { managedDisk: { id: `${rg}/providers/Microsoft.Compute/disks/os1` } },
        dataDisks: [{ managedDisk: { id: `${rg}/providers/Microsoft.Compute/disks/data1` } }],
      },
      networkProfile: { networkInterfaces: [{ id: `${rg}/providers/Microsoft.Network/networkInterfaces/nic1` }] },
    });
    const lock = (scope: string, name: string) => ({
      id: `${scope}/providers/Microsoft.Authorization/locks/${name}`,
      name,
      level: "CanNotDelete",
      scope: scope.toLowerCase(),
    });
    const locks = [
      lock(`${rg}/providers/Microsoft.Compute/disks/data1`, "on-data-disk"),
      lock(`${rg}/providers/Microsoft.Network/networkInterfaces/nic1`, "on-nic"),
      lock(`${rg}/providers/Microsoft.Compute/disks/other`, "on-other-disk"),
      lock(`/subscriptions/${SUB_A}/resourceGroups/rg2`, "on-other-rg"),
    ];
    expect(locksCovering(locks, scopes).map((l) => l.name)).toEqual(["on-data-disk", "on-nic"]);
    expect(locksCovering([lock(rg, "on-rg")], scopes).map((l) => l.name)).toEqual(["on-rg"]);
  });
});

describe("bounded waits (issue 11 defects 10 and 15)", () => {
  const source = (s: FakeArmServer, extra: Partial<ConstructorParameters<typeof SdkFleetSource>[0]> = {}) =>
    new SdkFleetSource({ credential: staticTokenCredential("t"), endpoint: s.url, ca: s.ca, sleep: noSleep, ...extra });

  it("stops on a repeated $skipToken instead of looping", async () => {
    const s = await start(largeFleet(40), { repeatSkipToken: true });
    await expect(
      source(s, { pageSize: 10 }).query(typeQuery("microsoft.network/networkinterfaces"), sel),
    ).rejects.toThrow(/Resource Graph returned the same \$skipToken twice .*stopping instead of looping/);
    expect(s.graph.stats.graphRequests).toBeLessThan(5);
  });

  it("refuses a wait longer than the cap (Retry-After: 86400 or a quota reset of a day) with one line", async () => {
    const s = await start(scenarioFleet(), { throttleEvery: 1, resetsAfterSeconds: 86_400 });
    const waits: number[] = [];
    const err = await source(s, { sleep: async (ms) => void waits.push(ms) })
      .query(typeQuery("microsoft.network/virtualnetworks"), sel)
      .catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /asked to wait 86400 s \(x-ms-user-quota-resets-after: 24:00:00\).*waits at most 60 s per retry/,
    );
    expect((err as Error).message).not.toContain("\n");
    expect(waits).toEqual([]);
  });

  it("times each request out and fails with one line after the bounded retries", async () => {
    const s = await start(scenarioFleet(), { latencyMs: 400 });
    const err = await source(s, { limits: { requestTimeoutMs: 100, maxRetries: 2 } })
      .query(typeQuery("microsoft.network/virtualnetworks"), sel)
      .catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /POST 127\.0\.0\.1:\d+\/providers\/Microsoft\.ResourceGraph\/resources: no answer within 0\.1 s, 3 attempts/,
    );
  });

  it("paces queries to the documented per-user quota with a progress line", async () => {
    let now = 0;
    const lines: string[] = [];
    const waits: number[] = [];
    const pacer = new QuotaPacer(
      { ...DEFAULT_LIMITS, sleep: async (ms) => void (waits.push(ms), (now += ms)), onWait: (l) => lines.push(l) },
      15,
      5000,
      () => now,
    );
    for (let i = 0; i < 16; i++) await pacer.take();
    expect(waits).toEqual([5000]);
    expect(lines).toEqual(["Resource Graph: per-user quota spent; waiting 5.0 s"]);
  });
});

describe("clouds (issue 11 defect 5)", () => {
  it("derives the cloud from --arm-endpoint or --cloud, and refuses Azure Stack Hub and mismatches", () => {
    expect(resolveCloud(undefined, "https://management.usgovcloudapi.net/").cloud.name).toBe("AzureUSGovernment");
    expect(resolveCloud("AzureChinaCloud", undefined)).toEqual({
      cloud: CLOUDS.AzureChinaCloud,
      endpoint: "https://management.chinacloudapi.cn",
    });
    expect(resolveCloud(undefined, undefined).cloud.name).toBe("AzurePublicCloud");
    expect(() => resolveCloud(undefined, "https://management.local.azurestack.external")).toThrow(
      /Azure Stack Hub has no Resource Graph/,
    );
    expect(() => resolveCloud("AzureChinaCloud", "https://management.usgovcloudapi.net")).toThrow(
      /belongs to AzureUSGovernment, not --cloud AzureChinaCloud/,
    );
    expect(() => resolveCloud("AzureGermanCloud", undefined)).toThrow(/--cloud: 'AzureGermanCloud' must be one of/);
    expect(CLOUDS.AzureUSGovernment).toMatchObject({
      authorityHost: "https://login.microsoftonline.us",
      pulumiEnvironment: "usgovernment",
    });
  });

  it("asks for the cloud's token scope on every client and pins the Resource Graph api-version", async () => {
    const s = await start();
    const scopes = new Set<string>();
    const credential = {
      getToken: async (sc: string | string[]) => (
        (Array.isArray(sc) ? sc : [sc]).forEach((x) => scopes.add(x)),
        { token: "t", expiresOnTimestamp: Date.now() + 3600_000 }
      ),
    };
    const src = new SdkFleetSource({
      credential,
      cloud: CLOUDS.AzureUSGovernment,
      endpoint: s.url,
      ca: s.ca,
      sleep: noSleep,
    });
    await src.query(typeQuery("microsoft.network/virtualnetworks"), sel);
    await src.instanceView(SUB_A, "rg-app", "vm-ok");
    await src.subscriptionLocks(SUB_A);
    expect([...scopes]).toEqual(["https://management.usgovcloudapi.net/.default"]);
    expect([...s.graph.stats.apiVersions]).toEqual([RESOURCE_GRAPH_API_VERSION]);
  });

  it("--ca-file adds to the system roots instead of replacing them", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    const list = trustedRoots(pem);
    expect(list).toContain(pem);
    expect(list).toContain(tls.rootCertificates[0]);
    expect(list.length).toBeGreaterThan(tls.rootCertificates.length);
  });
});
