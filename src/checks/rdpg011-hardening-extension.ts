import { CheckDefinition } from "./check";

/** RDPG011: a Windows VM in the stack has no RdpHardening extension enforcing TLS, NLA and the rest. */
export const hardeningExtension: CheckDefinition = {
  id: "RDPG011",
  name: "windows-vm-rdp-hardening",
  title: "Windows VM has no RDP hardening extension",
  severity: "note",
  rationale: "TLS, NLA, MachineKeys ACLs and the RDP certificate drift silently until RDP fails with an internal error.",
  help: "Add `new RdpHardening(...)` from azure-rdp-guard for the VM, or deploy its CustomScript extension.",
};
