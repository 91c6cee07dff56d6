import type { IncomingMessage, ServerResponse } from "node:http";
import type { InstanceView } from "../../src/azure/model";
import { decodeHardeningCommand } from "../../src/baseline/encode";
import { LroTracker, Outcome } from "./arm-lro";
import { REQUEST_SCHEMAS, validateRequest } from "./arm-schema";
import type { FakeFleet } from "./fake-arm";

/*
 * Stateful Compute routes for the fake ARM server: VMs, disks, snapshots, extensions, deallocate and start,
 * held to Azure's rules. Each rule cites its source next to it. The guest side is simulated: the rescue VM
 * "runs" the offline script (the command is decoded and checked) and marks the attached copy repaired; a VM
 * started on a repaired disk has a ready agent.
 */
export interface OpLog {
  method: string;
  path: string;
  at: number;
  status?: number;
  code?: string;
}

type Res = Record<string, unknown> & { id: string; name: string; properties: Record<string, unknown> };
interface DiskRef {
  id?: string;
}
interface OsDisk {
  createOption?: string;
  name?: string;
  managedDisk?: DiskRef;
  osType?: string;
  deleteOption?: string;
}
interface DataDisk {
  lun?: number;
  createOption?: string;
  managedDisk?: DiskRef;
}
interface StorageProfile {
  imageReference?: ImageRef;
  osDisk?: OsDisk;
  dataDisks?: DataDisk[];
}
interface ImageRef {
  publisher?: string;
  offer?: string;
  sku?: string;
  version?: string;
  exactVersion?: string;
}

const COMPUTE = new RegExp(
  "^/subscriptions/([^/]+)/resourceGroups/([^/]+)/providers/Microsoft\\.Compute/" +
    "(virtualMachines|disks|snapshots)/([^/]+)" +
    "(?:/(extensions)/([^/]+)|/(deallocate|start))?$",
  "i",
);

/** The newest version "latest" resolves to, per image SKU (the fake's marketplace). */
const LATEST: Record<string, string> = {
  "2022-datacenter-azure-edition": "20348.2849.241106",
  "2019-datacenter-gensecond": "17763.6532.241101",
  "2019-datacenter": "17763.6532.241101",
};

/** Image identity: two Windows disks from the same image version carry the same disk signature. */
export function imageKey(ref: ImageRef | undefined): string | undefined {
  if (!ref?.sku) return undefined;
  const v =
    ref.exactVersion ??
    (ref.version === "latest" || !ref.version ? (LATEST[ref.sku.toLowerCase()] ?? "1") : ref.version);
  return `${ref.publisher}:${ref.offer}:${ref.sku}:${v}`.toLowerCase();
}

function merge(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(patch)) {
    if (
      v &&
      typeof v === "object" &&
      !Array.isArray(v) &&
      target[k] &&
      typeof target[k] === "object" &&
      !Array.isArray(target[k])
    ) {
      merge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
  return target;
}

const lc = (s: string | undefined): string => (s ?? "").toLowerCase();
const storage = (r: Res | undefined): StorageProfile => (r?.properties.storageProfile ?? {}) as StorageProfile;

export interface SeedOptions {
  hyperV?: "V1" | "V2";
  trustedLaunch?: boolean;
  subnetId: string;
  /** The OS disk lives in another resource group. */
  diskResourceGroup?: string;
  zones?: string[];
  diskSku?: string;
  /** Customer-managed key: the disk encryption set id. */
  diskEncryptionSetId?: string;
  /** Azure Disk Encryption (BitLocker) on the OS disk. */
  ade?: boolean;
  confidential?: boolean;
  ephemeral?: boolean;
  unmanaged?: boolean;
  imageSku?: string;
}

export class FakeCompute {
  readonly store = new Map<string, Res>();
  readonly power = new Map<string, string>();
  readonly log: OpLog[] = [];
  readonly repairedDisks = new Set<string>();
  /** How often the guest actually ran each extension (by extension id, lower case). */
  readonly extensionRuns = new Map<string, number>();
  /** Each extension's protectedSettings: kept server-side, never returned (by extension id, lower case). */
  private readonly protectedSettings = new Map<string, string>();
  /** Image identity of each disk's content (by disk or snapshot id, lower case). */
  readonly lineage = new Map<string, string>();
  readonly lro = new LroTracker(2);
  /**
   * Complete every operation inside its first answer (ARM allows a synchronous 200/201 with a terminal
   * provisioningState); used where a real process polls with the SDK's fixed 2 s interval.
   */
  syncLro = false;
  /** Make the offline script report a failure (and exit 1). */
  offlineScriptFails = false;
  /**
   * Called right after the guest ran the offline script, with the rescue VM id and the report it wrote (to
   * model a concurrent change of the rescue VM, or a report from another run).
   */
  afterOfflineScript?: (rescueVmId: string, report: Record<string, unknown>) => void;
  /** Fail one operation once (by "METHOD path" regex) with this status: 500 is retried by the SDK, 4xx is not. */
  failOnce?: { pattern: RegExp; status: number; headers?: Record<string, string> };

  constructor(private readonly fleet: FakeFleet) {}

  /** Seeds a broken VM whose OS disk exists; its agent is not ready. */
  seedBrokenVm(sub: string, rg: string, name: string, o: SeedOptions): { vmId: string; diskId: string } {
    const diskRg = o.diskResourceGroup ?? rg;
    const rgId = `/subscriptions/${sub}/resourceGroups/${rg}`;
    const diskId = `/subscriptions/${sub}/resourceGroups/${diskRg}/providers/Microsoft.Compute/disks/${name}-osdisk`;
    const vmId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
    const image: ImageRef = {
      publisher: "MicrosoftWindowsServer",
      offer: "WindowsServer",
      sku: o.imageSku ?? "2022-datacenter-azure-edition",
      version: "latest",
    };
    image.exactVersion = LATEST[image.sku!.toLowerCase()] ?? "1";
    const ade = o.ade
      ? {
          enabled: true,
          encryptionSettings: [
            {
              diskEncryptionKey: {
                secretUrl: "https://kv.vault.azure.net/secrets/bek/1",
                sourceVault: { id: "/subscriptions/x/resourceGroups/kv/providers/Microsoft.KeyVault/vaults/kv" },
              },
            },
          ],
        }
      : undefined;
    this.store.set(lc(diskId), {
      id: diskId,
      name: `${name}-osdisk`,
      type: "Microsoft.Compute/disks",
      location: "westeurope",
      managedBy: vmId,
      sku: { name: o.diskSku ?? "Premium_LRS" },
      ...(o.zones ? { zones: o.zones } : {}),
      properties: {
        hyperVGeneration: o.hyperV ?? "V2",
        osType: "Windows",
        provisioningState: "Succeeded",
        diskState: "Attached",
        creationData: {
          createOption: "FromImage",
          imageReference: {
            id:
              `/Subscriptions/${sub}/Providers/Microsoft.Compute/Locations/westeurope/Publishers/${image.publisher}` +
              `/ArtifactTypes/VMImage/Offers/${image.offer}/Skus/${image.sku}/Versions/${image.exactVersion}`,
          },
        },
        encryption: o.diskEncryptionSetId
          ? { type: "EncryptionAtRestWithCustomerKey", diskEncryptionSetId: o.diskEncryptionSetId }
          : { type: "EncryptionAtRestWithPlatformKey" },
        ...(ade ? { encryptionSettingsCollection: ade } : {}),
        ...(o.trustedLaunch ? { securityProfile: { securityType: "TrustedLaunch" } } : {}),
      },
    });
    this.lineage.set(lc(diskId), imageKey(image)!);
    const osDisk: Record<string, unknown> = o.unmanaged
      ? {
          osType: "Windows",
          name: `${name}-osdisk`,
          createOption: "FromImage",
          vhd: { uri: `https://sa.blob.core.windows.net/vhds/${name}.vhd` },
        }
      : {
          osType: "Windows",
          name: `${name}-osdisk`,
          createOption: "FromImage",
          caching: "ReadWrite",
          managedDisk: {
            id: diskId,
            storageAccountType: o.diskSku ?? "Premium_LRS",
            ...(o.diskEncryptionSetId ? { diskEncryptionSet: { id: o.diskEncryptionSetId } } : {}),
          },
          deleteOption: "Detach",
        };
    if (o.ephemeral) osDisk.diffDiskSettings = { option: "Local", placement: "CacheDisk" };
    if (o.ade) osDisk.encryptionSettings = { enabled: true };
    this.store.set(lc(vmId), {
      id: vmId,
      name,
      type: "Microsoft.Compute/virtualMachines",
      location: "westeurope",
      ...(o.zones ? { zones: o.zones } : {}),
      properties: {
        provisioningState: "Succeeded",
        hardwareProfile: { vmSize: "Standard_D2s_v5" },
        storageProfile: { imageReference: image, osDisk, dataDisks: [] },
        networkProfile: {
          networkInterfaces: [{ id: `${rgId}/providers/Microsoft.Network/networkInterfaces/${name}-nic` }],
        },
        ...(o.trustedLaunch
          ? {
              securityProfile: {
                securityType: "TrustedLaunch",
                uefiSettings: { secureBootEnabled: true, vTpmEnabled: true },
              },
            }
          : {}),
        ...(o.confidential ? { securityProfile: { securityType: "ConfidentialVM" } } : {}),
      },
    });
    this.power.set(lc(vmId), "running");
    this.refreshView(vmId);
    return { vmId, diskId };
  }

  private refreshView(vmId: string): void {
    const vm = this.store.get(lc(vmId));
    const power = this.power.get(lc(vmId)) ?? "running";
    const disk = lc(storage(vm).osDisk?.managedDisk?.id);
    const healthy = this.repairedDisks.has(disk) || /rdpguard-rescue|\/rescue-/i.test(vmId);
    const prev = this.fleet.instanceViews.get(lc(vmId));
    const view: InstanceView = {
      statuses: [{ code: "ProvisioningState/succeeded" }, { code: `PowerState/${power}` }],
      vmAgent:
        power === "running" && healthy
          ? { statuses: [{ code: "ProvisioningState/succeeded", displayStatus: "Ready" }] }
          : { statuses: [{ code: "ProvisioningState/Unavailable", displayStatus: "Not Ready" }] },
      extensions: prev?.extensions ?? [],
    };
    this.fleet.instanceViews.set(lc(vmId), view);
  }

  private attach(diskId: string, vmId: string): void {
    const d = this.store.get(lc(diskId));
    if (!d) return;
    d.managedBy = vmId;
    d.properties.diskState = this.power.get(lc(vmId)) === "deallocated" ? "Reserved" : "Attached";
  }

  private release(diskId: string | undefined): void {
    const d = diskId ? this.store.get(lc(diskId)) : undefined;
    if (!d) return;
    delete d.managedBy;
    d.properties.diskState = "Unattached";
  }

  /**
   * Disks a VM body attaches that ARM would refuse: missing (404) or attached to another VM (409). A managed
   * disk is attached to one VM at a time unless it is a shared disk (maxShares > 1):
   * https://learn.microsoft.com/azure/virtual-machines/disks-shared
   */
  private attachConflict(vmId: string, ids: string[]): Outcome | undefined {
    for (const id of ids) {
      const d = this.store.get(lc(id));
      if (!d) return { ok: false, status: 404, error: { code: "NotFound", message: `Disk ${id} was not found.` } };
      const owner = d.managedBy as string | undefined;
      if (owner && lc(owner) !== lc(vmId)) {
        return {
          ok: false,
          status: 409,
          error: {
            code: "Conflict",
            message:
              `Disk '${d.name}' cannot be attached to VM '${vmId.split("/").pop()}' because it is already ` +
              `attached to VM '${owner}'.`,
          },
        };
      }
    }
    return undefined;
  }

  readonly route = async (req: IncomingMessage, body: string, res: ServerResponse): Promise<boolean> => {
    if (this.lro.route(req, body, res)) return true;
    const url = new URL(req.url ?? "/", "https://x");
    const m = COMPUTE.exec(url.pathname);
    if (!m) return false;
    const method = req.method ?? "GET";
    const entry: OpLog = { method, path: url.pathname, at: Date.now() };
    this.log.push(entry);
    const send = (status: number, v?: unknown, headers: Record<string, string> = {}): true => {
      entry.status = status;
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(v === undefined ? "" : JSON.stringify(v));
      return true;
    };
    const fail = (o: Extract<Outcome, { ok: false }>): true => {
      entry.code = o.error.code;
      return send(o.status, { error: o.error });
    };
    if (this.failOnce?.pattern.test(`${method} ${url.pathname}`)) {
      const { status, headers } = this.failOnce;
      this.failOnce = undefined;
      // ARM throttling answers 429 with a Retry-After header (seconds), see
      // https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
      const code = status >= 500 ? "InternalServerError" : status === 429 ? "TooManyRequests" : "OperationNotAllowed";
      entry.code = code;
      return send(status, { error: { code, message: "simulated failure: quota exceeded" } }, headers);
    }
    const [, sub, rg, kindRaw, name, ext, extName, action] = m;
    const kind = kindRaw!.toLowerCase();
    const vmId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;
    const id = ext
      ? `${vmId}/extensions/${extName}`
      : `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/${kindRaw}/${name}`;
    const key = lc(id);
    const cur = this.store.get(key);
    const location = String(cur?.location ?? this.store.get(lc(vmId))?.location ?? "westeurope");
    const lro = (finish: () => Outcome, withLocation: boolean): Record<string, string> | undefined => {
      if (!this.syncLro) return this.lro.start(sub!, "Microsoft.Compute", location, finish, withLocation);
      finish();
      return undefined;
    };
    const notFound = (): true =>
      fail({
        ok: false,
        status: 404,
        error: {
          code: "ResourceNotFound",
          message: `The Resource '${id.split("/providers/")[1]}' under resource group '${rg}' was not found.`,
        },
      });

    if (action) {
      if (method !== "POST") return false;
      if (!cur) return notFound();
      const to = action.toLowerCase() === "start" ? "running" : "deallocated";
      this.power.set(key, to === "running" ? "starting" : "deallocating");
      this.refreshView(vmId);
      const headers = lro(() => {
        this.power.set(key, to);
        const sp = storage(cur);
        for (const d of [sp.osDisk?.managedDisk?.id, ...(sp.dataDisks ?? []).map((x) => x.managedDisk?.id)])
          if (d) this.attach(d, vmId);
        this.refreshView(vmId);
        return { ok: true };
      }, true);
      return send(headers ? 202 : 200, undefined, headers);
    }
    if (method === "GET") return cur ? send(200, cur) : notFound();
    if (method === "DELETE") return this.remove(kind, ext, id, cur, send, fail, lro);

    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body || "{}") as Record<string, unknown>;
    } catch {
      return fail({
        ok: false,
        status: 400,
        error: {
          code: "InvalidRequestContent",
          message: "The request content was invalid and could not be deserialized.",
        },
      });
    }
    // Request bodies are checked against the real definitions (specs/SOURCE.md); ARM answers 400.
    const schema: keyof typeof REQUEST_SCHEMAS | undefined = ext
      ? method === "PUT"
        ? "extensionPut"
        : undefined
      : kind === "virtualmachines"
        ? method === "PUT"
          ? "virtualMachinePut"
          : "virtualMachinePatch"
        : method === "PUT"
          ? kind === "disks"
            ? "diskPut"
            : "snapshotPut"
          : undefined;
    const invalid = schema ? validateRequest(schema, input) : undefined;
    if (invalid)
      return fail({
        ok: false,
        status: 400,
        error: { code: "InvalidRequestContent", message: `The request content was invalid: ${invalid}` },
      });

    if (ext) return this.putExtension(vmId, id, extName!, input, send, fail, lro);
    if (kind === "virtualmachines") return this.writeVm(method, vmId, cur, input, send, fail, lro);
    return this.putDiskOrSnapshot(kind, id, name!, cur, input, send, fail, lro);
  };

  private remove(
    kind: string,
    ext: string | undefined,
    id: string,
    cur: Res | undefined,
    send: (s: number, v?: unknown, h?: Record<string, string>) => true,
    fail: (o: Extract<Outcome, { ok: false }>) => true,
    lro: (f: () => Outcome, loc: boolean) => Record<string, string> | undefined,
  ): true {
    // A DELETE of a resource that does not exist answers 204 (ARM RPC, "DELETE a resource": 200/202/204).
    if (!cur) return send(204);
    if (kind === "disks" && cur.managedBy) {
      // An attached disk cannot be deleted; detach it first
      // (https://learn.microsoft.com/azure/virtual-machines/windows/find-unattached-disks).
      return fail({
        ok: false,
        status: 409,
        error: { code: "OperationNotAllowed", message: `Disk ${cur.name} is attached to VM ${String(cur.managedBy)}.` },
      });
    }
    const headers = lro(() => {
      this.store.delete(lc(id));
      if (kind === "virtualmachines" && !ext) {
        const sp = storage(cur);
        for (const d of sp.dataDisks ?? []) this.release(d.managedDisk?.id);
        if (sp.osDisk?.deleteOption === "Delete") this.store.delete(lc(sp.osDisk.managedDisk?.id));
        else this.release(sp.osDisk?.managedDisk?.id);
        this.fleet.instanceViews.delete(lc(id));
        for (const k of [...this.store.keys()]) if (k.startsWith(`${lc(id)}/extensions/`)) this.store.delete(k);
      }
      return { ok: true };
    }, true);
    return send(headers ? 202 : 200, undefined, headers);
  }

  private writeVm(
    method: string,
    vmId: string,
    cur: Res | undefined,
    input: Record<string, unknown>,
    send: (s: number, v?: unknown, h?: Record<string, string>) => true,
    fail: (o: Extract<Outcome, { ok: false }>) => true,
    lro: (f: () => Outcome, loc: boolean) => Record<string, string> | undefined,
  ): true {
    if (method === "PATCH" && !cur)
      return fail({ ok: false, status: 404, error: { code: "ResourceNotFound", message: `${vmId} was not found.` } });
    const next = (
      method === "PATCH"
        ? merge(structuredClone(cur!), input)
        : { ...input, id: vmId, name: vmId.split("/").pop()!, type: "Microsoft.Compute/virtualMachines" }
    ) as Res;
    next.properties ??= {};
    const was = storage(cur);
    const now = storage(next);
    if (cur) {
      // osDisk.createOption is fixed at creation: any change answers 409 PropertyChangeNotAllowed
      // (azure-sdk-for-net#37285, azure-sdk-for-python#3001, azure-powershell#7621).
      const sent = (input.properties as { storageProfile?: StorageProfile } | undefined)?.storageProfile?.osDisk
        ?.createOption;
      if (sent !== undefined && lc(sent) !== lc(was.osDisk?.createOption)) {
        return fail({
          ok: false,
          status: 409,
          error: {
            code: "PropertyChangeNotAllowed",
            message: "Changing property 'osDisk.createOption' is not allowed.",
          },
        });
      }
      const oldOs = lc(was.osDisk?.managedDisk?.id);
      const newOs = lc(now.osDisk?.managedDisk?.id);
      if (newOs && newOs !== oldOs) {
        // The OS disk can be swapped only while the VM is stopped (deallocated):
        // https://learn.microsoft.com/azure/virtual-machines/windows/os-disk-swap
        if (this.power.get(lc(vmId)) !== "deallocated") {
          return fail({
            ok: false,
            status: 409,
            error: {
              code: "OperationNotAllowed",
              message:
                `Cannot change the OS disk of VM '${next.name}' while it is ${this.power.get(lc(vmId))}; ` +
                `deallocate it first.`,
            },
          });
        }
        const c = this.attachConflict(vmId, [newOs]);
        if (c && !c.ok) return fail(c);
      }
    } else {
      const os = now.osDisk;
      if (os?.createOption === "Attach" && os.managedDisk?.id) {
        const c = this.attachConflict(vmId, [os.managedDisk.id]);
        if (c && !c.ok) return fail(c);
      }
    }
    const wasData = new Set((was.dataDisks ?? []).map((d) => lc(d.managedDisk?.id)));
    const added = (now.dataDisks ?? [])
      .map((d) => d.managedDisk?.id)
      .filter((d): d is string => !!d && !wasData.has(lc(d)));
    const c = this.attachConflict(vmId, added);
    if (c && !c.ok) return fail(c);
    // Accepted: record the new state now, finish the provisioning when the operation ends.
    const nowData = new Set((now.dataDisks ?? []).map((d) => lc(d.managedDisk?.id)));
    for (const d of was.dataDisks ?? []) if (!nowData.has(lc(d.managedDisk?.id))) this.release(d.managedDisk?.id);
    if (lc(was.osDisk?.managedDisk?.id) !== lc(now.osDisk?.managedDisk?.id)) this.release(was.osDisk?.managedDisk?.id);
    for (const d of [now.osDisk?.managedDisk?.id, ...added]) if (d) this.attach(d, vmId);
    if (!cur && now.osDisk?.createOption === "FromImage")
      this.lineage.set(`${lc(vmId)}#os`, imageKey(now.imageReference) ?? "");
    next.properties.provisioningState = cur ? "Updating" : "Creating";
    this.store.set(lc(vmId), next);
    if (!cur) this.power.set(lc(vmId), "starting");
    const headers = this.lroFor(lro, () => {
      next.properties.provisioningState = "Succeeded";
      if (!cur) this.power.set(lc(vmId), "running");
      this.refreshView(vmId);
      return { ok: true };
    });
    return send(cur ? 200 : 201, next, headers);
  }

  private lroFor(
    lro: (f: () => Outcome, loc: boolean) => Record<string, string> | undefined,
    f: () => Outcome,
  ): Record<string, string> | undefined {
    return lro(f, false);
  }

  private putDiskOrSnapshot(
    kind: string,
    id: string,
    name: string,
    cur: Res | undefined,
    input: Record<string, unknown>,
    send: (s: number, v?: unknown, h?: Record<string, string>) => true,
    fail: (o: Extract<Outcome, { ok: false }>) => true,
    lro: (f: () => Outcome, loc: boolean) => Record<string, string> | undefined,
  ): true {
    const props = (input.properties ?? {}) as { creationData?: { createOption?: string; sourceResourceId?: string } };
    const source = props.creationData?.sourceResourceId;
    if (!cur && props.creationData?.createOption === "Copy") {
      if (!source || !this.store.has(lc(source))) {
        return fail({
          ok: false,
          status: 404,
          error: { code: "NotFound", message: `Source resource ${source ?? "(none)"} was not found.` },
        });
      }
      const l = this.lineage.get(lc(source));
      if (l) this.lineage.set(lc(id), l);
    }
    const next = {
      ...(cur ?? {}),
      ...input,
      id,
      name,
      type: kind === "disks" ? "Microsoft.Compute/disks" : "Microsoft.Compute/snapshots",
      properties: {
        ...(cur?.properties ?? {}),
        ...(input.properties as object),
        provisioningState: cur ? "Updating" : "Creating",
        ...(kind === "disks" && !cur ? { diskState: "Unattached" } : {}),
      },
    } as Res;
    if (cur?.managedBy) next.managedBy = cur.managedBy;
    this.store.set(lc(id), next);
    const headers = this.lroFor(lro, () => {
      next.properties.provisioningState = "Succeeded";
      return { ok: true };
    });
    return send(cur ? 200 : 201, next, headers);
  }

  private putExtension(
    vmId: string,
    id: string,
    extName: string,
    input: Record<string, unknown>,
    send: (s: number, v?: unknown, h?: Record<string, string>) => true,
    fail: (o: Extract<Outcome, { ok: false }>) => true,
    lro: (f: () => Outcome, loc: boolean) => Record<string, string> | undefined,
  ): true {
    const vm = this.store.get(lc(vmId));
    if (!vm)
      return fail({
        ok: false,
        status: 404,
        error: {
          code: "ParentResourceNotFound",
          message:
            `Can not perform requested operation on nested resource. Parent resource ` +
            `'${vmId.split("/").pop()}' not found.`,
        },
      });
    const p = (input.properties ?? {}) as {
      publisher?: string;
      type?: string;
      settings?: unknown;
      protectedSettings?: unknown;
      forceUpdateTag?: string;
      typeHandlerVersion?: string;
    };
    const handler = `${p.publisher}.${p.type}`;
    // One extension per handler on a VM: a second CustomScriptExtension under another name answers
    // "Multiple VMExtensions per handler not supported for OS type 'Windows'"
    // (https://learn.microsoft.com/azure/virtual-machines/extensions/custom-script-windows#troubleshoot-and-support).
    for (const [k, other] of this.store) {
      if (!k.startsWith(`${lc(vmId)}/extensions/`) || k === lc(id)) continue;
      const op = other.properties as { publisher?: string; type?: string };
      if (lc(`${op.publisher}.${op.type}`) === lc(handler)) {
        return fail({
          ok: false,
          status: 409,
          error: {
            code: "OperationNotAllowed",
            message:
              `Multiple VMExtensions per handler not supported for OS type 'Windows'. VMExtension ` +
              `'${extName}' with handler '${handler}' already added or specified in input.`,
          },
        });
      }
    }
    const cur = this.store.get(lc(id));
    const cp = cur?.properties as typeof p | undefined;
    // A PUT with the same settings and forceUpdateTag does not run the script again; a new forceUpdateTag re-runs it
    // (https://learn.microsoft.com/azure/virtual-machines/extensions/custom-script-windows
    // #rerun-custom-script-extension).
    const same =
      !!cp &&
      JSON.stringify(cp.settings ?? null) === JSON.stringify(p.settings ?? null) &&
      this.protectedSettings.get(lc(id)) === JSON.stringify(p.protectedSettings ?? null) &&
      (cp.forceUpdateTag ?? "") === (p.forceUpdateTag ?? "") &&
      cp.typeHandlerVersion === p.typeHandlerVersion;
    const { protectedSettings, ...visible } = p; // protectedSettings are never returned by a GET
    const next = {
      ...input,
      id,
      name: extName,
      type: "Microsoft.Compute/virtualMachines/extensions",
      properties: { ...visible, provisioningState: cur ? "Updating" : "Creating" },
    } as Res;
    this.store.set(lc(id), next);
    this.protectedSettings.set(lc(id), JSON.stringify(protectedSettings ?? null));
    const headers = this.lroFor(lro, () => {
      if (same) {
        next.properties.provisioningState = cur?.properties.provisioningState ?? "Succeeded";
        return { ok: true };
      }
      this.extensionRuns.set(lc(id), (this.extensionRuns.get(lc(id)) ?? 0) + 1);
      const exit = this.runGuest(
        vmId,
        extName,
        String((protectedSettings as { commandToExecute?: string } | undefined)?.commandToExecute ?? ""),
      );
      // A script that exits non-zero leaves the extension Failed and fails the operation
      // (VMExtensionProvisioningError;
      // https://learn.microsoft.com/troubleshoot/azure/virtual-machines/windows/support-extensions-agent-version).
      next.properties.provisioningState = exit === 0 ? "Succeeded" : "Failed";
      if (exit === 0) return { ok: true };
      return {
        ok: false,
        status: 200,
        error: {
          code: "VMExtensionProvisioningError",
          message:
            `VM has reported a failure when processing extension '${extName}' (publisher '${p.publisher}' ` +
            `and type '${p.type}'). Error message: 'Command execution finished, but failed because it returned a ` +
            `non-zero exit code of: '1''.`,
        },
      };
    });
    return send(cur ? 200 : 201, next, headers);
  }

  /** The guest: run what the command is, report through the instance view; returns the exit code. */
  private runGuest(vmId: string, extName: string, cmd: string): number {
    let script = "";
    try {
      script = decodeHardeningCommand(cmd);
    } catch {
      script = "";
    }
    if (!script.startsWith("# azure-rdp-guard offline repair")) return this.report(vmId, extName, 0, "");
    // Like offline.ps1: only the data disk at $DiskLun; the report echoes $DiskId, $Attempt and the LUN found.
    const setting = (name: string) => new RegExp(`^\\$${name} = '?([^'\\n]*)'?$`, "m").exec(script)?.[1] ?? "";
    const lun = Number(setting("DiskLun"));
    const rescue = this.store.get(lc(vmId));
    const atLun = (storage(rescue).dataDisks ?? [])
      .filter((d) => (d.lun ?? 0) === lun)
      .map((d) => d.managedDisk?.id)
      .filter((d): d is string => !!d);
    const own = this.lineage.get(`${lc(vmId)}#os`);
    const collides = atLun.find((d) => own && this.lineage.get(lc(d)) === own);
    const bound = { attempt: setting("Attempt"), diskId: setting("DiskId") };
    let report: Record<string, unknown>;
    if (this.offlineScriptFails || atLun.length !== 1 || collides) {
      const why = this.offlineScriptFails
        ? "expected one attached Windows volume on disk 2, found 0"
        : collides
          ? // Two disks from the same image version share a disk signature; Windows keeps the second offline
            // (the "temp fix to mitigate Windows disk signature collision" in az vm repair's
            // _fetch_compatible_windows_os_urn).
            "disk 2 is offline because its signature collides with this VM's disk; not rewriting it"
          : `expected one attached data disk at LUN ${lun}, found ${atLun.length}`;
      report = {
        tool: "azure-rdp-guard",
        mode: "offline",
        ...bound,
        lun: null,
        osVolume: null,
        controlSets: [],
        failed: 1,
        results: [{ id: "offline-repair", result: "failed", message: why }],
      };
    } else {
      this.repairedDisks.add(lc(atLun[0]));
      report = {
        tool: "azure-rdp-guard",
        mode: "offline",
        ...bound,
        lun,
        disk: 2,
        osVolume: "F:",
        controlSets: ["ControlSet001", "ControlSet002"],
        failed: 0,
        results: [{ id: "registry:ControlSet001", result: "changed" }],
      };
    }
    this.afterOfflineScript?.(vmId, report);
    return this.report(vmId, extName, report.failed ? 1 : 0, JSON.stringify(report));
  }

  private report(vmId: string, extName: string, exit: number, stdout: string): number {
    const view = this.fleet.instanceViews.get(lc(vmId)) ?? { statuses: [] };
    const others = (view.extensions ?? []).filter((e) => e.name !== extName);
    this.fleet.instanceViews.set(lc(vmId), {
      ...view,
      extensions: [
        ...others,
        {
          name: extName,
          type: "Microsoft.Compute.CustomScriptExtension",
          statuses: [{ code: `ProvisioningState/${exit === 0 ? "succeeded" : "failed"}` }],
          substatuses: [{ code: `ComponentStatus/StdOut/${exit === 0 ? "succeeded" : "failed"}`, message: stdout }],
        },
      ],
    });
    return exit;
  }

  count(kind: "disks" | "snapshots" | "virtualMachines"): number {
    return [...this.store.keys()].filter(
      (k) => k.includes(`/microsoft.compute/${kind.toLowerCase()}/`) && !k.includes("/extensions/"),
    ).length;
  }
}
