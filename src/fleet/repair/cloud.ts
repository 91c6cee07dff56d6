import type { TokenCredential } from "@azure/core-auth";
import { ComputeManagementClient } from "@azure/arm-compute";
import type { Disk, Snapshot, VirtualMachine, VirtualMachineExtension } from "@azure/arm-compute";
import { InstanceView } from "../../azure/model";

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
  putExtension(sub: string, rg: string, vm: string, name: string, ext: VirtualMachineExtension): Promise<VirtualMachineExtension>;
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

export class SdkRepairCloud implements RepairCloud {
  private readonly clients = new Map<string, ComputeManagementClient>();
  constructor(private readonly credential: TokenCredential, private readonly opts: { endpoint?: string; ca?: string } = {}) {}

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

  getVm(sub: string, rg: string, name: string) { return orUndefined(this.c(sub).virtualMachines.get(rg, name)); }
  getDisk(sub: string, rg: string, name: string) { return orUndefined(this.c(sub).disks.get(rg, name)); }
  getSnapshot(sub: string, rg: string, name: string) { return orUndefined(this.c(sub).snapshots.get(rg, name)); }
  async createSnapshot(sub: string, rg: string, name: string, s: Snapshot) { return await this.c(sub).snapshots.createOrUpdate(rg, name, s); }
  async createDisk(sub: string, rg: string, name: string, d: Disk) { return await this.c(sub).disks.createOrUpdate(rg, name, d); }
  async createVm(sub: string, rg: string, name: string, vm: VirtualMachine) { return await this.c(sub).virtualMachines.createOrUpdate(rg, name, vm); }
  async updateVm(sub: string, rg: string, name: string, patch: Partial<VirtualMachine>) { return await this.c(sub).virtualMachines.update(rg, name, patch); }
  async deleteVm(sub: string, rg: string, name: string) { await this.c(sub).virtualMachines.delete(rg, name); }
  async deallocate(sub: string, rg: string, name: string) { await this.c(sub).virtualMachines.deallocate(rg, name); }
  async start(sub: string, rg: string, name: string) { await this.c(sub).virtualMachines.start(rg, name); }
  async instanceView(sub: string, rg: string, name: string) { return (await this.c(sub).virtualMachines.instanceView(rg, name)) as InstanceView; }
  async putExtension(sub: string, rg: string, vm: string, name: string, ext: VirtualMachineExtension) { return await this.c(sub).virtualMachineExtensions.createOrUpdate(rg, vm, name, ext); }
}
