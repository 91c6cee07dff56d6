import type { IncomingMessage, ServerResponse } from "node:http";
import type { InstanceView } from "../../src/azure/model";
import { decodeHardeningCommand } from "../../src/baseline/encode";
import type { FakeFleet } from "./fake-arm";

/*
 * Stateful Compute routes for the fake ARM server: VMs, disks, snapshots, extensions, deallocate
 * and start, with the guest's side simulated: the rescue VM "runs" the offline script (the command
 * is decoded and checked) and marks the attached copy repaired; a VM started on a repaired disk has
 * a ready agent.
 */
export interface OpLog { method: string; path: string; at: number; status?: number }

const COMPUTE = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/(virtualMachines|disks|snapshots)\/([^/]+)(?:\/(extensions)\/([^/]+)|\/(deallocate|start))?$/i;

function merge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(patch)) {
    if (v && typeof v === "object" && !Array.isArray(v) && target[k] && typeof target[k] === "object" && !Array.isArray(target[k])) {
      merge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
  return target;
}

export class FakeCompute {
  readonly store = new Map<string, Record<string, unknown>>();
  readonly log: OpLog[] = [];
  readonly repairedDisks = new Set<string>();
  /** Make the offline script report a failure. */
  offlineScriptFails = false;
  /** Fail one operation once (by "METHOD path" regex) with this status: 500 is retried by the SDK, 4xx is not. */
  failOnce?: { pattern: RegExp; status: number };

  constructor(private readonly fleet: FakeFleet) {}

  /** Seeds a broken VM whose OS disk exists; its agent is not ready. */
  seedBrokenVm(sub: string, rg: string, name: string, opts: { hyperV?: "V1" | "V2"; trustedLaunch?: boolean; subnetId: string }): { vmId: string; diskId: string } {
    const diskId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/disks/${name}-osdisk`;
    const vmId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
    this.store.set(diskId.toLowerCase(), { id: diskId, name: `${name}-osdisk`, type: "Microsoft.Compute/disks", location: "westeurope", sku: { name: "Premium_LRS" }, properties: { hyperVGeneration: opts.hyperV ?? "V2", osType: "Windows", provisioningState: "Succeeded", diskState: "Attached" } });
    this.store.set(vmId.toLowerCase(), {
      id: vmId, name, type: "Microsoft.Compute/virtualMachines", location: "westeurope",
      properties: {
        provisioningState: "Succeeded",
        storageProfile: { osDisk: { osType: "Windows", name: `${name}-osdisk`, createOption: "FromImage", managedDisk: { id: diskId } }, dataDisks: [] },
        networkProfile: { networkInterfaces: [{ id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/networkInterfaces/${name}-nic` }] },
        ...(opts.trustedLaunch ? { securityProfile: { securityType: "TrustedLaunch" } } : {}),
      },
    });
    this.refreshView(vmId, "running");
    return { vmId, diskId };
  }

  private refreshView(vmId: string, power: string): void {
    const vm = this.store.get(vmId.toLowerCase());
    const disk = String((vm?.properties as { storageProfile?: { osDisk?: { managedDisk?: { id?: string } } } })?.storageProfile?.osDisk?.managedDisk?.id ?? "").toLowerCase();
    const healthy = this.repairedDisks.has(disk) || /rescue-/i.test(vmId);
    const prev = this.fleet.instanceViews.get(vmId.toLowerCase());
    const view: InstanceView = {
      statuses: [{ code: "ProvisioningState/succeeded" }, { code: `PowerState/${power}` }],
      vmAgent: power === "running" && healthy
        ? { statuses: [{ code: "ProvisioningState/succeeded", displayStatus: "Ready" }] }
        : { statuses: [{ code: "ProvisioningState/Unavailable", displayStatus: "Not Ready" }] },
      extensions: prev?.extensions ?? [],
    };
    this.fleet.instanceViews.set(vmId.toLowerCase(), view);
  }

  readonly route = async (req: IncomingMessage, body: string, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "https://x");
    const m = COMPUTE.exec(url.pathname);
    if (!m) return false;
    const method = req.method ?? "GET";
    const entry: OpLog = { method, path: url.pathname, at: Date.now() };
    this.log.push(entry);
    const send = (status: number, v?: unknown) => {
      entry.status = status;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(v === undefined ? "" : JSON.stringify(v));
    };
    if (this.failOnce?.pattern.test(`${method} ${url.pathname}`)) {
      const status = this.failOnce.status;
      this.failOnce = undefined;
      send(status, { error: { code: status >= 500 ? "InternalServerError" : "OperationNotAllowed", message: "simulated failure: quota exceeded" } });
      return true;
    }
    const [, sub, rg, kind, name, ext, extName, action] = m;
    const vmId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
    const id = ext ? `${vmId}/extensions/${extName}` : `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/${kind}/${name}`;
    const key = id.toLowerCase();
    if (action) {
      if (!this.store.has(key)) return send(404, { error: { code: "ResourceNotFound", message: `${name} not found` } }), true;
      this.refreshView(vmId, action.toLowerCase() === "start" ? "running" : "deallocated");
      send(200);
      return true;
    }
    if (method === "GET") {
      const v = this.store.get(key);
      send(v ? 200 : 404, v ?? { error: { code: ext ? "NotFound" : "ResourceNotFound", message: `The Resource '${name}' was not found.` } });
      return true;
    }
    if (method === "DELETE") {
      this.store.delete(key);
      if (kind!.toLowerCase() === "virtualmachines") this.fleet.instanceViews.delete(vmId.toLowerCase());
      send(200);
      return true;
    }
    const input = JSON.parse(body || "{}") as Record<string, unknown>;
    if (method === "PATCH") {
      const cur = this.store.get(key);
      if (!cur) return send(404, { error: { code: "ResourceNotFound", message: name } }), true;
      merge(cur, input); // lists (dataDisks) are replaced, as ARM does in a PATCH
      send(200, cur);
      return true;
    }
    // PUT
    const stored = { ...input, id, name: ext ? extName : name, properties: { ...(input.properties as object), provisioningState: "Succeeded" } } as Record<string, unknown>;
    this.store.set(key, stored);
    if (kind!.toLowerCase() === "virtualmachines" && !ext) this.refreshView(vmId, "running");
    if (ext && /azure-rdp-guard-offline/i.test(extName!)) this.runOfflineScript(vmId, stored);
    send(200, stored);
    return true;
  };

  /** The rescue VM's guest: decode the command, check it is the offline script, repair the data disk. */
  private runOfflineScript(vmId: string, ext: Record<string, unknown>): void {
    const cmd = ((ext.properties as { protectedSettings?: { commandToExecute?: string } }).protectedSettings?.commandToExecute) ?? "";
    const script = decodeHardeningCommand(cmd);
    const ok = script.startsWith("# azure-rdp-guard offline repair") && !this.offlineScriptFails;
    const rescue = this.store.get(vmId.toLowerCase());
    const data = ((rescue?.properties as { storageProfile?: { dataDisks?: { managedDisk?: { id?: string } }[] } })?.storageProfile?.dataDisks ?? []);
    if (ok) for (const d of data) if (d.managedDisk?.id) this.repairedDisks.add(d.managedDisk.id.toLowerCase());
    const report = ok
      ? { tool: "azure-rdp-guard", mode: "offline", osVolume: "F:", controlSets: ["ControlSet001", "ControlSet002"], failed: 0, results: [{ id: "registry:ControlSet001", result: "changed" }] }
      : { tool: "azure-rdp-guard", mode: "offline", osVolume: null, controlSets: [], failed: 1, results: [{ id: "offline-repair", result: "failed", message: "expected one attached Windows volume, found 0" }] };
    const view = this.fleet.instanceViews.get(vmId.toLowerCase()) ?? { statuses: [] };
    this.fleet.instanceViews.set(vmId.toLowerCase(), {
      ...view,
      extensions: [{ name: "azure-rdp-guard-offline", type: "Microsoft.Compute.CustomScriptExtension", statuses: [{ code: `ProvisioningState/${ok ? "succeeded" : "failed"}` }], substatuses: [{ code: "ComponentStatus/StdOut/succeeded", message: JSON.stringify(report) }] }],
    });
  }

  count(kind: "disks" | "snapshots" | "virtualMachines"): number {
    return [...this.store.keys()].filter((k) => k.includes(`/microsoft.compute/${kind.toLowerCase()}/`) && !k.includes("/extensions/")).length;
  }
}
