import { bootDiagnostics, hardeningExtension } from "../checks";
import { Finding } from "../nsg/findings";
import { SourceLocation } from "../nsg/rules";

/** What every input format can say about a Windows VM. */
export interface VmFacts {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  /** undefined when it cannot be known (computed during preview, or not in the input). */
  readonly bootDiagnostics: boolean | undefined;
  /** undefined when the input cannot show extensions (then no hint is given). */
  readonly hardened: boolean | undefined;
  readonly location?: SourceLocation;
}

/** Advisory findings for a Windows VM: Serial Console prerequisites and RDP hardening. */
export function vmFindings(vm: VmFacts): Finding[] {
  const resource = { id: vm.id, name: vm.name, type: vm.type };
  const out: Finding[] = [];
  if (vm.bootDiagnostics === false) {
    out.push({
      checkId: bootDiagnostics.id, severity: bootDiagnostics.severity, resource, location: vm.location,
      reason: "diagnosticsProfile.bootDiagnostics is disabled",
      message: `Windows VM '${vm.name}' has boot diagnostics disabled, so Serial Console cannot be used to repair RDP`,
      fix: bootDiagnostics.help,
    });
  }
  if (vm.hardened === false) {
    out.push({
      checkId: hardeningExtension.id, severity: hardeningExtension.severity, resource, location: vm.location,
      reason: "no RdpHardening component or rdp-guard extension targets this VM",
      message: `Windows VM '${vm.name}' has no RDP hardening extension`,
      fix: hardeningExtension.help,
    });
  }
  return out;
}
