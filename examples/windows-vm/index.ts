import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import * as network from "@pulumi/azure-native/network";
import * as resources from "@pulumi/azure-native/resources";
import { RdpHardening } from "../../components";

// Run from this folder: `pulumi config set adminSourceIp <ip>/32`, `pulumi config set --secret
// adminPassword <...>`, then `pulumi up --policy-pack ../../policies`.
const config = new pulumi.Config();
const adminSourceIp = config.require("adminSourceIp");
const adminPassword = config.requireSecret("adminPassword");

const rg = new resources.ResourceGroup("rdp-guard-demo");

// RDP only from the admin IP: the fix the runbook's first step asks for (the policy pack blocks `*`).
const nsg = new network.NetworkSecurityGroup("vm-nsg", {
  resourceGroupName: rg.name,
  securityRules: [
    {
      name: "allow-rdp-admin",
      priority: 100,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefix: adminSourceIp,
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: "3389",
    },
  ],
});

const vnet = new network.VirtualNetwork("vnet", {
  resourceGroupName: rg.name,
  addressSpace: { addressPrefixes: ["10.10.0.0/16"] },
  subnets: [{ name: "vms", addressPrefix: "10.10.1.0/24", networkSecurityGroup: { id: nsg.id } }],
});

const ip = new network.PublicIPAddress("vm-ip", {
  resourceGroupName: rg.name,
  publicIPAllocationMethod: "Static",
  sku: { name: "Standard" },
});

const nic = new network.NetworkInterface("vm-nic", {
  resourceGroupName: rg.name,
  ipConfigurations: [
    {
      name: "ipconfig1",
      subnet: { id: vnet.subnets.apply((s) => s![0]!.id!) },
      publicIPAddress: { id: ip.id },
    },
  ],
});

const vm = new compute.VirtualMachine("win-vm", {
  resourceGroupName: rg.name,
  hardwareProfile: { vmSize: "Standard_B2s" },
  networkProfile: { networkInterfaces: [{ id: nic.id, primary: true }] },
  osProfile: {
    computerName: "rdpguard01",
    adminUsername: "azureadmin",
    adminPassword,
    windowsConfiguration: { provisionVMAgent: true },
  },
  storageProfile: {
    imageReference: {
      publisher: "MicrosoftWindowsServer",
      offer: "WindowsServer",
      sku: "2022-datacenter-azure-edition",
      version: "latest",
    },
    osDisk: { createOption: "FromImage", managedDisk: { storageAccountType: "StandardSSD_LRS" } },
  },
  // Serial Console (the runbook's way in when RDP fails) needs boot diagnostics.
  diagnosticsProfile: { bootDiagnostics: { enabled: true } },
});

// TLS 1.2+, NLA, MachineKeys ACLs, certificate health, port/firewall, EMS and crash dumps.
const hardening = new RdpHardening("win-vm-rdp", {
  resourceGroupName: rg.name,
  vmName: vm.name,
  location: vm.location,
  mode: "enforce",
  runId: "1",
});

export const publicIp = ip.ipAddress;
export const hardeningScriptSha256 = hardening.scriptSha256;
