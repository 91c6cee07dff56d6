import type { Finding } from "../nsg/findings";
import type { SourceLocation } from "../nsg/rules";
import { CheckUnit, VmSubject, vmRef } from "./check";

/** RDPG010: a Windows VM has boot diagnostics off, so Serial Console (the runbook's way in) is unavailable. */
export const windowsVmBootDiagnostics = {
  id: "RDPG010",
  name: "windows-vm-boot-diagnostics",
  title: "Windows VM has boot diagnostics disabled",
  severity: "note",
  rationale: "Serial Console requires boot diagnostics; without it an RDP failure can only be repaired offline.",
  help: "Set diagnosticsProfile.bootDiagnostics.enabled = true (managed storage needs no storage account).",
  securitySeverity: "3.0",

  finding(vm: VmSubject, location?: SourceLocation): Finding {
    return {
      checkId: windowsVmBootDiagnostics.id,
      severity: windowsVmBootDiagnostics.severity,
      resource: vmRef(vm),
      location,
      reason: "diagnosticsProfile.bootDiagnostics is disabled",
      message: `Windows VM '${vm.name}' has boot diagnostics disabled, so Serial Console cannot be used to repair RDP`,
      fix: windowsVmBootDiagnostics.help,
    };
  },
} as const satisfies CheckUnit;
