import { PolicyPack } from "@pulumi/policy";
import { nsgNoInternetRdp } from "./nsg-no-internet-rdp";
import { nsgNoInternetRdpStandalone } from "./nsg-no-internet-rdp-standalone";
import { windowsVmBootDiagnostics } from "./windows-vm-boot-diagnostics";
import { windowsVmRdpHardening } from "./windows-vm-rdp-hardening";

// `pulumi preview --policy-pack policies` loads this file through ts-node.
new PolicyPack("azure-rdp-guard", {
  policies: [nsgNoInternetRdp, nsgNoInternetRdpStandalone, windowsVmBootDiagnostics, windowsVmRdpHardening],
});
