import type { Finding } from "../nsg/findings";
import type { SourceLocation } from "../nsg/rules";
import { CheckUnit, VmSubject, vmRef } from "./check";

/** RDPG011: a Windows VM has no RdpHardening extension enforcing TLS, NLA and the rest. */
export const windowsVmRdpHardening = {
  id: "RDPG011",
  name: "windows-vm-rdp-hardening",
  title: "Windows VM has no RDP hardening extension",
  severity: "note",
  rationale:
    "TLS, NLA, MachineKeys ACLs and the RDP certificate drift silently until RDP fails with an internal error.",
  help: "Add `new RdpHardening(...)` from azure-rdp-guard for the VM, or deploy its CustomScript extension.",
  securitySeverity: "4.0",

  /** `otherCustomScript`: a live VM's CustomScript slot is taken by another extension (only one is allowed). */
  finding(vm: VmSubject, o: { location?: SourceLocation; otherCustomScript?: string } = {}): Finding {
    const other = o.otherCustomScript ? ` (CustomScript slot used by '${o.otherCustomScript}')` : "";
    return {
      checkId: windowsVmRdpHardening.id,
      severity: windowsVmRdpHardening.severity,
      resource: vmRef(vm),
      location: o.location,
      reason: `no RdpHardening component or rdp-guard extension targets this VM${other}`,
      message: `Windows VM '${vm.name}' has no RDP hardening extension${other}`,
      fix: windowsVmRdpHardening.help,
    };
  },
} as const satisfies CheckUnit;
