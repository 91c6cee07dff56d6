import { CheckDefinition } from "./check";

/** RDPG010: a Windows VM has boot diagnostics off, so Serial Console (the runbook's way in) is unavailable. */
export const bootDiagnostics: CheckDefinition = {
  id: "RDPG010",
  name: "windows-vm-boot-diagnostics",
  title: "Windows VM has boot diagnostics disabled",
  severity: "note",
  rationale: "Serial Console requires boot diagnostics; without it an RDP failure can only be repaired offline.",
  help: "Set diagnosticsProfile.bootDiagnostics.enabled = true (managed storage needs no storage account).",
};
