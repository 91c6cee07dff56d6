import type { TokenCredential } from "@azure/core-auth";
import { ComputeManagementClient } from "@azure/arm-compute";
import type { Disk, Snapshot, VirtualMachine, VirtualMachineExtension } from "@azure/arm-compute";
import { request } from "node:https";
import { InstanceView } from "../../azure/model";

/** A management lock as the Locks API returns it (Microsoft.Authorization/locks, api-version 2020-05-01). */
export interface LockInfo {
  readonly id: string;
  readonly name: string;
  readonly level: string;
  /** The scope the lock sits on: the lock id without `/providers/Microsoft.Authorization/locks/<name>`. */
  readonly scope: string;
}

/** The Azure operations the repair workflow needs; implemented on the Azure SDK below. */
export interface RepairCloud {
  getVm(sub: string, rg: string, name: string): Promise<VirtualMachine | undefined>;
  getDisk(sub: string, rg: string, name: string): Promise<Disk | undefined>;
  getSnapshot(sub: string, rg: string, name: string): Promise<Snapshot | undefined>;
  createSnapshot(sub: string, rg: string, name: string, snapshot: Snapshot): Promise<Snapshot>;
  createDisk(sub: string, rg: string, name: string, disk: Disk): Promise<Disk>;
  createVm(sub: string, rg: string, name: string, vm: VirtualMachine): Promise<VirtualMachine>;
  updateVm(sub: string, rg: string, name: string, patch: Partial<VirtualMachine>): Promise<VirtualMachine>;
  deleteVm(sub: string, rg: string, name: string): Promise<void>;
  deallocate(sub: string, rg: string, name: string): Promise<void>;
  start(sub: string, rg: string, name: string): Promise<void>;
  instanceView(sub: string, rg: string, name: string): Promise<InstanceView>;
  putExtension(
    sub: string,
    rg: string,
    vm: string,
    name: string,
    ext: VirtualMachineExtension,
  ): Promise<VirtualMachineExtension>;
  /**
   * Every management lock that covers one of these resource ids (on the resource, its resource group or its
   * subscription), read from the Locks API. Throws when the locks cannot be read: never "no locks".
   */
  listLocks(scopeIds: readonly string[]): Promise<LockInfo[]>;
}

function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { statusCode?: number }).statusCode === 404;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** /subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name} split into its parts. */
export function parseResourceId(id: string): { sub: string; rg: string; type: string; name: string } | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)$/i.exec(id);
  return m ? { sub: m[1]!, rg: m[2]!, type: m[3]!, name: m[4]! } : undefined;
}

export interface SdkRepairCloudOptions {
  endpoint?: string;
  /** Trusted CAs: the system roots plus --ca-file (a string alone would replace the roots). */
  ca?: string | string[];
  /** Token audience for the Locks call (the SDK clients derive theirs from the endpoint). */
  scope?: string;
  /** Long-running-operation poll interval; by default the SDK's (Retry-After, else 2 s). */
  pollIntervalMs?: number;
  /** Per-request timeout of the Locks call. */
  timeoutMs?: number;
}

export class SdkRepairCloud implements RepairCloud {
  private readonly clients = new Map<string, ComputeManagementClient>();
  constructor(
    private readonly credential: TokenCredential,
    private readonly opts: SdkRepairCloudOptions = {},
  ) {}

  private c(sub: string): ComputeManagementClient {
    let client = this.clients.get(sub);
    if (!client) {
      client = new ComputeManagementClient(this.credential, sub, {
        ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
        ...(this.opts.ca ? { tlsOptions: { ca: this.opts.ca } } : {}),
        retryOptions: { maxRetries: 8 },
      });
      this.clients.set(sub, client);
    }
    return client;
  }

  private get lro() {
    return this.opts.pollIntervalMs ? { updateIntervalInMs: this.opts.pollIntervalMs } : {};
  }

  getVm(sub: string, rg: string, name: string) {
    return orUndefined(this.c(sub).virtualMachines.get(rg, name));
  }
  getDisk(sub: string, rg: string, name: string) {
    return orUndefined(this.c(sub).disks.get(rg, name));
  }
  getSnapshot(sub: string, rg: string, name: string) {
    return orUndefined(this.c(sub).snapshots.get(rg, name));
  }
  async createSnapshot(sub: string, rg: string, name: string, s: Snapshot) {
    return await this.c(sub).snapshots.createOrUpdate(rg, name, s, this.lro);
  }
  async createDisk(sub: string, rg: string, name: string, d: Disk) {
    return await this.c(sub).disks.createOrUpdate(rg, name, d, this.lro);
  }
  async createVm(sub: string, rg: string, name: string, vm: VirtualMachine) {
    return await this.c(sub).virtualMachines.createOrUpdate(rg, name, vm, this.lro);
  }
  async updateVm(sub: string, rg: string, name: string, patch: Partial<VirtualMachine>) {
    return await this.c(sub).virtualMachines.update(rg, name, patch, this.lro);
  }
  async deleteVm(sub: string, rg: string, name: string) {
    await this.c(sub).virtualMachines.delete(rg, name, this.lro);
  }
  async deallocate(sub: string, rg: string, name: string) {
    await this.c(sub).virtualMachines.deallocate(rg, name, this.lro);
  }
  async start(sub: string, rg: string, name: string) {
    await this.c(sub).virtualMachines.start(rg, name, this.lro);
  }
  async instanceView(sub: string, rg: string, name: string) {
    return (await this.c(sub).virtualMachines.instanceView(rg, name)) as InstanceView;
  }
  async putExtension(sub: string, rg: string, vm: string, name: string, ext: VirtualMachineExtension) {
    return await this.c(sub).virtualMachineExtensions.createOrUpdate(rg, vm, name, ext, this.lro);
  }

  /**
   * ManagementLocks_ListAtSubscriptionLevel (GET /subscriptions/{sub}/providers/Microsoft.Authorization/locks,
   * api-version 2020-05-01) lists every lock in the subscription, at any level; a lock covers an id when its
   * scope is the id or a parent of it. One call (plus nextLink pages) per subscription.
   */
  async listLocks(scopeIds: readonly string[]): Promise<LockInfo[]> {
    const subs = [
      ...new Set(
        scopeIds.map((id) => /^\/subscriptions\/([^/]+)/i.exec(id)?.[1]?.toLowerCase()).filter((s): s is string => !!s),
      ),
    ];
    const base = (this.opts.endpoint ?? "https://management.azure.com").replace(/\/$/, "");
    const token = await this.credential.getToken(this.opts.scope ?? "https://management.azure.com/.default");
    if (!token) throw new Error("no token for the Locks API");
    const all: LockInfo[] = [];
    for (const sub of subs) {
      let url: string | undefined =
        `${base}/subscriptions/${sub}/providers/Microsoft.Authorization/locks?api-version=2020-05-01`;
      const seen = new Set<string>();
      while (url) {
        if (seen.has(url)) throw new Error(`the Locks API repeated page ${url}`);
        seen.add(url);
        const page = (await this.getJson(url, token.token)) as {
          value?: { id: string; name: string; properties?: { level?: string } }[];
          nextLink?: string;
        };
        for (const l of page.value ?? []) {
          all.push({
            id: l.id,
            name: l.name,
            level: l.properties?.level ?? "unknown",
            scope: l.id.split(/\/providers\/Microsoft\.Authorization\/locks\//i)[0]!,
          });
        }
        url = page.nextLink;
      }
    }
    const ids = scopeIds.map((s) => s.toLowerCase());
    return all.filter((l) =>
      ids.some((id) => id === l.scope.toLowerCase() || id.startsWith(`${l.scope.toLowerCase()}/`)),
    );
  }

  private getJson(url: string, token: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: "GET",
          headers: { authorization: `Bearer ${token}`, accept: "application/json" },
          ...(this.opts.ca ? { ca: this.opts.ca } : {}),
          timeout: this.opts.timeoutMs ?? 30_000,
        },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => {
            if ((res.statusCode ?? 0) >= 300) {
              let why = text.slice(0, 200);
              try {
                why = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error?.code ?? why;
              } catch {
                /* keep the text */
              }
              reject(new Error(`HTTP ${res.statusCode} ${why}`));
              return;
            }
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(new Error("the Locks API answered with something that is not JSON"));
            }
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${this.opts.timeoutMs ?? 30_000} ms`)));
      req.on("error", reject);
      req.end();
    });
  }
}
