import { afterEach, describe, expect, it } from "vitest";
import { encodeHardeningCommand } from "../../src/baseline/encode";
import { renderOfflineScript } from "../../src/baseline/render-offline";
import { staticTokenCredential } from "../../src/azure/sdk-source";
import { SdkRepairCloud } from "../../src/fleet/repair/cloud";
import { FakeArmServer } from "./fake-arm";
import { FakeCompute } from "./fake-compute";
import { FleetBuilder, SUB_A } from "./fake-fleet";

/*
 * The strict fake's rules, each exercised through the real SDK (or a raw HTTPS request where the SDK would
 * not send the bad body). Every rule fails here if the fake stops enforcing it.
 */

const RG = "rg-rules";
const VNET = `/subscriptions/${SUB_A}/resourceGroups/${RG}/providers/Microsoft.Network/virtualNetworks/vnet`;
const SUBNET = `${VNET}/subnets/app`;
let server: FakeArmServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function setup() {
  const fleet = new FleetBuilder().build();
  const compute = new FakeCompute(fleet);
  server = await FakeArmServer.start(fleet, { extraRoutes: compute.route });
  const cloud = new SdkRepairCloud(staticTokenCredential("t"), {
    endpoint: server.url,
    ca: server.ca,
    pollIntervalMs: 1,
  });
  const { vmId, diskId } = compute.seedBrokenVm(SUB_A, RG, "vm-a", { subnetId: SUBNET });
  return { compute, cloud, vmId, diskId, server };
}

async function raw(
  s: FakeArmServer,
  method: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
  const { request } = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = request(
      `${s.url}${path}?api-version=2024-11-01`,
      { method, ca: s.ca, headers: { authorization: "Bearer t", "content-type": "application/json" } },
      (res) => {
        let t = "";
        res.on("data", (d: Buffer) => (t += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: t ? JSON.parse(t) : {} }));
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

const vmPath = (name: string) =>
  `/subscriptions/${SUB_A}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/${name}`;
const diskPath = (name: string) =>
  `/subscriptions/${SUB_A}/resourceGroups/${RG}/providers/Microsoft.Compute/disks/${name}`;

describe("strict fake ARM: request bodies (vendored OpenAPI definitions)", () => {
  it("answers 400 InvalidRequestContent with an ARM error body for a body the definition rejects", async () => {
    const { server: s } = await setup();
    const noLocation = await raw(s, "PUT", vmPath("vm-new"), { properties: {} });
    expect(noLocation.status).toBe(400);
    expect(noLocation.body.error).toEqual({
      code: "InvalidRequestContent",
      message: expect.stringMatching(/must have required property 'location'/),
    });
    const badEnum = await raw(s, "PATCH", vmPath("vm-a"), {
      properties: { storageProfile: { osDisk: { createOption: "Atach" } } },
    });
    expect(badEnum.body.error?.message).toMatch(/createOption: must be equal to one of the allowed values/);
    const noCreateOption = await raw(s, "PATCH", vmPath("vm-a"), {
      properties: { storageProfile: { osDisk: { managedDisk: { id: "x" } } } },
    });
    expect(noCreateOption.body.error?.message).toMatch(/osDisk: must have required property 'createOption'/);
    const readOnly = await raw(s, "PUT", diskPath("d1"), {
      location: "westeurope",
      properties: { diskState: "Unattached", creationData: { createOption: "Empty" } },
    });
    expect(readOnly.body.error?.message).toMatch(/properties\.diskState: is read-only/);
    const noCreationData = await raw(s, "PUT", diskPath("d2"), { location: "westeurope", properties: {} });
    expect(noCreationData.body.error?.message).toMatch(/must have required property 'creationData'/);
  });

  it("validates the Resource Graph query body (QueryRequest)", async () => {
    const { server: s } = await setup();
    const top = await raw(s, "POST", "/providers/Microsoft.ResourceGraph/resources", {
      query: "Resources",
      options: { $top: 5000 },
    });
    expect(top.status).toBe(400);
    expect(top.body.error?.message).toMatch(/options\.\$top: must be <= 1000/);
    const noQuery = await raw(s, "POST", "/providers/Microsoft.ResourceGraph/resources", { subscriptions: [SUB_A] });
    expect(noQuery.body.error?.message).toMatch(/must have required property 'query'/);
  });
});

describe("strict fake ARM: long-running operations", () => {
  it("answers 201/202 with Azure-AsyncOperation (Location for 202), InProgress before Succeeded", async () => {
    const { server: s, compute, cloud } = await setup();
    const put = await raw(s, "PUT", diskPath("d3"), {
      location: "westeurope",
      properties: { creationData: { createOption: "Empty" }, diskSizeGB: 4 },
    });
    expect(put.status).toBe(201);
    const post = await raw(s, "POST", `${vmPath("vm-a")}/deallocate`, {});
    expect(post.status).toBe(202);
    compute.lro.settleAll();
    const before = compute.lro.stats.inProgressAnswers;
    await cloud.start(SUB_A, RG, "vm-a"); // the SDK polls until the operation ends
    expect(compute.lro.stats.inProgressAnswers - before).toBe(2);
    expect(compute.power.get(vmPath("vm-a").toLowerCase())).toBe("running");
  });
});

describe("strict fake ARM: 409 Conflict rules", () => {
  it("changing osDisk.createOption on an existing VM", async () => {
    const { cloud, compute } = await setup();
    await cloud.deallocate(SUB_A, RG, "vm-a");
    await expect(
      cloud.updateVm(SUB_A, RG, "vm-a", {
        storageProfile: { osDisk: { createOption: "Attach", managedDisk: { id: "x" } } },
      }),
    ).rejects.toMatchObject({ statusCode: 409, code: "PropertyChangeNotAllowed" });
    expect(compute.log.at(-1)).toMatchObject({ method: "PATCH", status: 409 });
  });

  it("swapping the OS disk of a VM that is not deallocated; attaching a disk attached elsewhere", async () => {
    const { cloud, compute, diskId } = await setup();
    await cloud.createDisk(SUB_A, RG, "spare", {
      location: "westeurope",
      creationData: { createOption: "Empty" },
      diskSizeGB: 4,
    });
    const spare = diskPath("spare");
    const swap = {
      storageProfile: { osDisk: { createOption: "FromImage" as never, name: "spare", managedDisk: { id: spare } } },
    };
    await expect(cloud.updateVm(SUB_A, RG, "vm-a", swap)).rejects.toMatchObject({
      statusCode: 409,
      code: "OperationNotAllowed",
    });
    compute.seedBrokenVm(SUB_A, RG, "vm-b", { subnetId: SUBNET });
    await cloud.deallocate(SUB_A, RG, "vm-b");
    const stealOs = {
      storageProfile: { osDisk: { createOption: "FromImage" as never, name: "x", managedDisk: { id: diskId } } },
    };
    await expect(cloud.updateVm(SUB_A, RG, "vm-b", stealOs)).rejects.toMatchObject({
      statusCode: 409,
      code: "Conflict",
    });
    await cloud.updateVm(SUB_A, RG, "vm-b", {
      storageProfile: { dataDisks: [{ lun: 0, createOption: "Attach", managedDisk: { id: spare } }] },
    });
    await expect(
      cloud.updateVm(SUB_A, RG, "vm-a", {
        storageProfile: { dataDisks: [{ lun: 0, createOption: "Attach", managedDisk: { id: spare } }] },
      }),
    ).rejects.toMatchObject({ statusCode: 409, code: "Conflict" });
  });

  it("deleting an attached disk", async () => {
    const { server: s } = await setup();
    const del = await raw(s, "DELETE", diskPath("vm-a-osdisk"), undefined);
    expect(del.status).toBe(409);
    expect(del.body.error?.code).toBe("OperationNotAllowed");
  });

  it("a second CustomScriptExtension on one VM", async () => {
    const { cloud } = await setup();
    const cse = {
      location: "westeurope",
      publisher: "Microsoft.Compute",
      typePropertiesType: "CustomScriptExtension",
      typeHandlerVersion: "1.10",
      settings: { commandToExecute: "echo 1" },
    };
    await cloud.putExtension(SUB_A, RG, "vm-a", "first", cse);
    await expect(cloud.putExtension(SUB_A, RG, "vm-a", "second", cse)).rejects.toMatchObject({
      statusCode: 409,
      code: "OperationNotAllowed",
    });
    await cloud.putExtension(SUB_A, RG, "vm-a", "first", { ...cse, forceUpdateTag: "2" }); // the same one again is fine
  });
});

describe("strict fake ARM: CustomScriptExtension", () => {
  it("does not re-run for the same settings and forceUpdateTag; a new tag re-runs", async () => {
    const { cloud, compute, vmId } = await setup();
    const cse = {
      location: "westeurope",
      publisher: "Microsoft.Compute",
      typePropertiesType: "CustomScriptExtension",
      typeHandlerVersion: "1.10",
      forceUpdateTag: "a",
      settings: { commandToExecute: "echo 1" },
    };
    await cloud.putExtension(SUB_A, RG, "vm-a", "cse", cse);
    await cloud.putExtension(SUB_A, RG, "vm-a", "cse", cse);
    expect(compute.extensionRuns.get(`${vmId}/extensions/cse`.toLowerCase())).toBe(1);
    await cloud.putExtension(SUB_A, RG, "vm-a", "cse", { ...cse, forceUpdateTag: "b" });
    expect(compute.extensionRuns.get(`${vmId}/extensions/cse`.toLowerCase())).toBe(2);
  });

  it("a script that exits non-zero leaves provisioningState Failed and fails the operation", async () => {
    const { cloud, compute, vmId } = await setup();
    // The offline script on a VM with no data disk finds no Windows volume and exits 1.
    const cse = {
      location: "westeurope",
      publisher: "Microsoft.Compute",
      typePropertiesType: "CustomScriptExtension",
      typeHandlerVersion: "1.10",
      protectedSettings: { commandToExecute: encodeHardeningCommand(renderOfflineScript({})) },
    };
    await expect(cloud.putExtension(SUB_A, RG, "vm-a", "offline", cse)).rejects.toThrow(
      /long-running operation has failed\. VMExtensionProvisioningError\. .*non-zero exit code/,
    );
    expect(compute.store.get(`${vmId}/extensions/offline`.toLowerCase())!.properties.provisioningState).toBe("Failed");
    expect(JSON.stringify(compute.store.get(`${vmId}/extensions/offline`.toLowerCase()))).not.toMatch(
      /commandToExecute/,
    ); // never returned
  });
});
