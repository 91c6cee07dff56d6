import type * as https from "node:https";
import type { TokenCredential } from "@azure/core-auth";
import { ComputeManagementClient } from "@azure/arm-compute";
import type { Disk, Snapshot, VirtualMachine, VirtualMachineExtension } from "@azure/arm-compute";
import { CLOUDS } from "../../azure/clouds";
import { ArmLockReader, ManagementLock, locksCovering } from "../../azure/locks";
import { InstanceView } from "../../azure/model";
import { DEFAULT_LIMITS, RetryLimits, useBoundedRetries } from "../../azure/throttle";
import { agentFor, agentPolicy } from "../../azure/tls";

/** A management lock as the Locks API returns it (src/azure/locks.ts). */
export type LockInfo = ManagementLock;

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
  /** Extra CA certificates (PEM, --ca-file), trusted on top of the system roots (see agentFor). */
  ca?: string;
  /** Token audience of the cloud (default: the public cloud's). */
  scope?: string;
  /** Long-running-operation poll interval; by default the SDK's (Retry-After, else 2 s). */
  pollIntervalMs?: number;
  /** Bounded retries (throttle.ts): caps, timeout; waits are injectable so tests need not sleep. */
  limits?: Partial<Omit<RetryLimits, "sleep" | "onWait">>;
  sleep?: (ms: number) => Promise<void>;
  /** Progress line per throttling wait. */
  onWait?: (line: string) => void;
}

/**
 * The repair's Azure calls on the Azure SDK. Every client has the bounded retries of throttle.ts (a
 * Retry-After longer than the cap fails with one line instead of being obeyed) and the shared
 * keep-alive agent for --ca-file; locks come from the one Locks API client (src/azure/locks.ts).
 */
export class SdkRepairCloud implements RepairCloud {
  private readonly clients = new Map<string, ComputeManagementClient>();
  private readonly limits: RetryLimits;
  private readonly agent?: https.Agent;
  private readonly scope: string;
  private readonly endpoint: string;
  private readonly lockReader: ArmLockReader;

  constructor(
    private readonly credential: TokenCredential,
    private readonly opts: SdkRepairCloudOptions = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits, sleep: opts.sleep ?? DEFAULT_LIMITS.sleep, onWait: opts.onWait };
    this.agent = opts.ca ? agentFor(opts.ca) : undefined;
    this.scope = opts.scope ?? CLOUDS.AzurePublicCloud.scope;
    this.endpoint = opts.endpoint ?? CLOUDS.AzurePublicCloud.armEndpoint;
    // Uncached: a lock added while the copy is repaired must still stop the swap (pre-swap-check reads again).
    this.lockReader = new ArmLockReader(credential, {
      endpoint: this.endpoint,
      scope: this.scope,
      agent: this.agent,
      limits: this.limits,
      cache: false,
    });
  }

  private c(sub: string): ComputeManagementClient {
    let client = this.clients.get(sub);
    if (!client) {
      client = new ComputeManagementClient(this.credential, sub, {
        endpoint: this.endpoint,
        credentials: { scopes: [this.scope] },
      });
      useBoundedRetries(client.pipeline, this.limits);
      if (this.agent) client.pipeline.addPolicy(agentPolicy(this.agent));
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

  /** Every lock of the ids' subscriptions (one Locks API list each) that covers one of the ids. */
  async listLocks(scopeIds: readonly string[]): Promise<LockInfo[]> {
    const subs = new Set(
      scopeIds.map((id) => /^\/subscriptions\/([^/]+)/i.exec(id)?.[1]?.toLowerCase()).filter((s): s is string => !!s),
    );
    const all: ManagementLock[] = [];
    for (const sub of subs) all.push(...(await this.lockReader.subscriptionLocks(sub)));
    return locksCovering(all, scopeIds);
  }
}
