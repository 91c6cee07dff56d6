import type { GraphRow, InstanceView } from "../../src/azure/model";
import type { FakeFleet } from "./fake-arm";

/** Builds Resource Graph rows and instance views in the shapes ARM returns. */
export class FleetBuilder {
  readonly rows: GraphRow[] = [];
  readonly instanceViews = new Map<string, InstanceView>();

  build(): FakeFleet {
    return { rows: this.rows, instanceViews: this.instanceViews };
  }

  nsg(sub: string, rg: string, name: string, rules: Record<string, unknown>[]): string {
    const id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
    this.rows.push({
      id,
      name,
      type: "microsoft.network/networksecuritygroups",
      resourceGroup: rg,
      subscriptionId: sub,
      location: "westeurope",
      tags: {},
      properties: {
        provisioningState: "Succeeded",
        securityRules: rules.map((r) => ({
          id: `${id}/securityRules/${String(r.name)}`,
          name: r.name,
          type: "Microsoft.Network/networkSecurityGroups/securityRules",
          properties: {
            sourcePortRange: "*",
            destinationAddressPrefix: "*",
            direction: "Inbound",
            protocol: "Tcp",
            ...r,
            name: undefined,
          },
        })),
        defaultSecurityRules: [],
      },
    });
    return id;
  }

  vnet(sub: string, rg: string, name: string, subnets: { name: string; nsgId?: string }[]): Map<string, string> {
    const id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${name}`;
    const ids = new Map<string, string>();
    this.rows.push({
      id,
      name,
      type: "microsoft.network/virtualnetworks",
      resourceGroup: rg,
      subscriptionId: sub,
      location: "westeurope",
      tags: {},
      properties: {
        addressSpace: { addressPrefixes: ["10.0.0.0/16"] },
        subnets: subnets.map((s, i) => {
          const sid = `${id}/subnets/${s.name}`;
          ids.set(s.name, sid);
          return {
            id: sid,
            name: s.name,
            properties: {
              addressPrefix: `10.0.${i}.0/24`,
              ...(s.nsgId ? { networkSecurityGroup: { id: s.nsgId } } : {}),
            },
          };
        }),
      },
    });
    return ids;
  }

  /** A VM with one NIC; returns its id. */
  vm(opts: {
    sub: string;
    rg: string;
    name: string;
    subnetId: string;
    os?: "Windows" | "Linux";
    nicNsgId?: string;
    publicIp?: boolean;
    /** SKU of the public IP (default Standard); null: the public IP row is missing (unreadable). */
    publicIpSku?: "Standard" | "Basic" | null;
    power?: "running" | "deallocated" | "stopped";
    bootDiagnostics?: boolean;
    tags?: Record<string, string>;
    agentReady?: boolean;
    hardening?: {
      notOk?: string[];
      failed?: number;
      provisioning?: "succeeded" | "failed" | "transitioning";
      name?: string;
    } | null;
    otherCse?: string;
  }): string {
    const { sub, rg, name } = opts;
    const rgId = `/subscriptions/${sub}/resourceGroups/${rg}`;
    const vmId = `${rgId}/providers/Microsoft.Compute/virtualMachines/${name}`;
    const nicId = `${rgId}/providers/Microsoft.Network/networkInterfaces/${name}-nic`;
    const os = opts.os ?? "Windows";
    const power = opts.power ?? "running";
    if (opts.publicIp && opts.publicIpSku !== null) {
      const pipId = `${rgId}/providers/Microsoft.Network/publicIPAddresses/${name}-ip`;
      this.rows.push({
        id: pipId,
        name: `${name}-ip`,
        type: "microsoft.network/publicipaddresses",
        resourceGroup: rg,
        subscriptionId: sub,
        location: "westeurope",
        tags: {},
        sku: { name: opts.publicIpSku ?? "Standard", tier: "Regional" },
        properties: {
          publicIPAllocationMethod: opts.publicIpSku === "Basic" ? "Dynamic" : "Static",
          ipAddress: "20.0.0.1",
        },
      });
    }
    this.rows.push({
      id: nicId,
      name: `${name}-nic`,
      type: "microsoft.network/networkinterfaces",
      resourceGroup: rg,
      subscriptionId: sub,
      location: "westeurope",
      tags: {},
      properties: {
        ...(opts.nicNsgId ? { networkSecurityGroup: { id: opts.nicNsgId } } : {}),
        ipConfigurations: [
          {
            id: `${nicId}/ipConfigurations/ipconfig1`,
            name: "ipconfig1",
            properties: {
              privateIPAddress: "10.0.0.4",
              subnet: { id: opts.subnetId },
              ...(opts.publicIp
                ? {
                    publicIPAddress: {
                      id: `${rgId}/providers/Microsoft.Network/publicIPAddresses/${name}-ip`,
                    },
                  }
                : {}),
            },
          },
        ],
        virtualMachine: { id: vmId },
      },
    });
    this.rows.push({
      id: vmId,
      name,
      type: "microsoft.compute/virtualmachines",
      resourceGroup: rg,
      subscriptionId: sub,
      location: "westeurope",
      tags: opts.tags ?? {},
      properties: {
        hardwareProfile: { vmSize: "Standard_D2s_v5" },
        storageProfile: {
          imageReference:
            os === "Windows"
              ? { publisher: "MicrosoftWindowsServer", offer: "WindowsServer", sku: "2022-datacenter-azure-edition" }
              : { publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server" },
          osDisk: {
            osType: os,
            name: `${name}-osdisk`,
            createOption: "FromImage",
            managedDisk: {
              id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/disks/${name}-osdisk`,
              storageAccountType: "Premium_LRS",
            },
          },
        },
        networkProfile: { networkInterfaces: [{ id: nicId }] },
        diagnosticsProfile: { bootDiagnostics: { enabled: opts.bootDiagnostics ?? true } },
        extended: { instanceView: { powerState: { code: `PowerState/${power}`, displayStatus: `VM ${power}` } } },
        securityProfile: { securityType: "TrustedLaunch" },
        ...(os === "Windows"
          ? { osProfile: { computerName: name, windowsConfiguration: { provisionVMAgent: true } } }
          : {}),
      },
    });
    const extensions: NonNullable<InstanceView["extensions"]>[number][] = [];
    if (opts.hardening !== null && opts.hardening !== undefined) {
      const h = opts.hardening;
      const summary = {
        tool: "azure-rdp-guard",
        version: "0.1.0",
        mode: "enforce",
        checked: 30,
        failed: h.failed ?? 0,
        notOk: h.notOk ?? [],
        rebootRequired: false,
        rebootScheduled: false,
        report: "C:\\ProgramData\\azure-rdp-guard\\report.json",
      };
      extensions.push({
        name: h.name ?? "azure-rdp-guard",
        type: "Microsoft.Compute.CustomScriptExtension",
        typeHandlerVersion: "1.10.18",
        statuses: [
          {
            code: `ProvisioningState/${h.provisioning ?? "succeeded"}`,
            displayStatus: "Provisioning succeeded",
            message: "Command execution finished",
          },
        ],
        substatuses: [
          {
            code: "ComponentStatus/StdOut/succeeded",
            displayStatus: "Provisioning succeeded",
            message: ["Set-Baseline: 0 changed", JSON.stringify(summary)].join("\n"),
          },
          { code: "ComponentStatus/StdErr/succeeded", displayStatus: "Provisioning succeeded", message: "" },
        ],
      });
    }
    if (opts.otherCse)
      extensions.push({
        name: opts.otherCse,
        type: "Microsoft.Compute.CustomScriptExtension",
        statuses: [{ code: "ProvisioningState/succeeded" }],
      });
    if (power === "running") {
      this.instanceViews.set(vmId.toLowerCase(), {
        statuses: [
          { code: "ProvisioningState/succeeded", displayStatus: "Provisioning succeeded" },
          { code: `PowerState/${power}`, displayStatus: `VM ${power}` },
        ],
        vmAgent:
          opts.agentReady === false
            ? {
                vmAgentVersion: "Unknown",
                statuses: [
                  {
                    code: "ProvisioningState/Unavailable",
                    displayStatus: "Not Ready",
                    message: "VM status blob is found but not yet populated.",
                  },
                ],
              }
            : {
                vmAgentVersion: "2.7.41491.1102",
                statuses: [
                  {
                    code: "ProvisioningState/succeeded",
                    displayStatus: "Ready",
                    message: "GuestAgent is running and processing the extensions.",
                  },
                ],
              },
        extensions,
      });
    }
    return vmId;
  }

  lock(scope: string, name: string, level: "CanNotDelete" | "ReadOnly"): void {
    this.rows.push(lockRow(scope, name, level));
  }
}

/** A management lock on `scope`, as the fake Locks API (fake-locks.ts) serves it from the fleet's rows. */
export function lockRow(scope: string, name: string, level: "CanNotDelete" | "ReadOnly"): GraphRow {
  return {
    id: `${scope}/providers/Microsoft.Authorization/locks/${name}`,
    name,
    type: "microsoft.authorization/locks",
    subscriptionId: /\/subscriptions\/([^/]+)/.exec(scope)?.[1],
    resourceGroup: /resourceGroups\/([^/]+)/.exec(scope)?.[1],
    properties: { level, notes: "change freeze" },
  };
}

export const SUB_A = "00000000-0000-0000-0000-00000000000a";
export const SUB_B = "00000000-0000-0000-0000-00000000000b";

const rdp = (name: string, priority: number, source: string, access = "Allow") => ({
  name,
  priority,
  access,
  sourceAddressPrefix: source,
  destinationPortRange: "3389",
});

/** The scenario fleet the audit tests use: one VM per state the audit must tell apart. */
export function scenarioFleet(): FakeFleet {
  const f = new FleetBuilder();
  const adminOnly = f.nsg(SUB_A, "rg-app", "nsg-app", [rdp("allow-rdp-admin", 100, "203.0.113.10/32")]);
  const open = f.nsg(SUB_A, "rg-app", "nsg-open", [rdp("open-rdp", 300, "*")]);
  const nicDeny = f.nsg(SUB_A, "rg-app", "nsg-nic-deny", [rdp("deny-rdp-internet", 100, "Internet", "Deny")]);
  const subnets = f.vnet(SUB_A, "rg-app", "vnet-app", [
    { name: "app", nsgId: adminOnly },
    { name: "open", nsgId: open },
    { name: "bare" },
  ]);
  const app = subnets.get("app")!;
  const opened = subnets.get("open")!;
  f.vm({ sub: SUB_A, rg: "rg-app", name: "vm-ok", subnetId: app, hardening: {}, tags: { env: "prod" } });
  f.vm({
    sub: SUB_A,
    rg: "rg-app",
    name: "vm-drift",
    subnetId: app,
    hardening: { notOk: ["tls12-server-enabled=drift", "gpo:UserAuthentication=managed-by-gpo"] },
    tags: { env: "prod" },
  });
  f.vm({ sub: SUB_A, rg: "rg-app", name: "vm-exposed", subnetId: opened, publicIp: true, hardening: {} });
  f.vm({
    sub: SUB_A,
    rg: "rg-app",
    name: "vm-shielded",
    subnetId: opened,
    nicNsgId: nicDeny,
    publicIp: true,
    hardening: {},
  });
  f.vm({ sub: SUB_A, rg: "rg-app", name: "vm-down", subnetId: app, agentReady: false, hardening: {} });
  f.vm({ sub: SUB_A, rg: "rg-app", name: "vm-linux", subnetId: opened, os: "Linux", publicIp: true });
  f.vm({
    sub: SUB_A,
    rg: "rg-app",
    name: "vm-unhardened",
    subnetId: app,
    hardening: null,
    otherCse: "legacy-bootstrap",
    bootDiagnostics: false,
  });
  f.vm({ sub: SUB_A, rg: "rg-app", name: "vm-stopped", subnetId: app, power: "deallocated", hardening: {} });
  f.vm({
    sub: SUB_A,
    rg: "rg-app",
    name: "vm-nonsg",
    subnetId: subnets.get("bare")!,
    publicIp: true,
    publicIpSku: "Basic",
    hardening: {},
  });
  // A locked resource group in a second subscription, with an exposed VM in it.
  const lockedOpen = f.nsg(SUB_B, "rg-locked", "nsg-locked-open", [rdp("legacy-open", 200, "Internet")]);
  const lockedNet = f.vnet(SUB_B, "rg-locked", "vnet-locked", [{ name: "default", nsgId: lockedOpen }]);
  f.vm({
    sub: SUB_B,
    rg: "rg-locked",
    name: "vm-locked",
    subnetId: lockedNet.get("default")!,
    publicIp: true,
    hardening: {},
  });
  f.lock(`/subscriptions/${SUB_B}/resourceGroups/rg-locked`, "freeze", "CanNotDelete");
  return f.build();
}

/** A large fleet for benchmarks: `count` Windows VMs spread over subscriptions and subnets. */
export function largeFleet(count: number): FakeFleet {
  const f = new FleetBuilder();
  const subs = [SUB_A, SUB_B];
  for (let s = 0; s < subs.length; s++) {
    const open = f.nsg(subs[s]!, "rg-0", "nsg-open", [rdp("open-rdp", 300, "*")]);
    const closed = f.nsg(subs[s]!, "rg-0", "nsg-closed", [rdp("allow-rdp-admin", 100, "203.0.113.10/32")]);
    f.vnet(subs[s]!, "rg-0", "vnet", [
      { name: "open", nsgId: open },
      { name: "closed", nsgId: closed },
    ]);
  }
  for (let i = 0; i < count; i++) {
    const sub = subs[i % subs.length]!;
    const subnet =
      `/subscriptions/${sub}/resourceGroups/rg-0/providers/Microsoft.Network/virtualNetworks/vnet/subnets/` +
      (i % 10 === 0 ? "open" : "closed");
    f.vm({
      sub,
      rg: `rg-${i % 50}`,
      name: `vm-${String(i).padStart(5, "0")}`,
      subnetId: subnet,
      publicIp: i % 10 === 0,
      hardening: i % 7 === 0 ? { notOk: ["nla-security-layer=drift"] } : {},
      agentReady: i % 97 !== 0,
    });
  }
  return f.build();
}
