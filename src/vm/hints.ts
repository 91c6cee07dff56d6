import { windowsVmBootDiagnostics, windowsVmRdpHardening } from "../checks";
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
  const out: Finding[] = [];
  if (vm.bootDiagnostics === false) out.push(windowsVmBootDiagnostics.finding(vm, vm.location));
  if (vm.hardened === false) out.push(windowsVmRdpHardening.finding(vm, { location: vm.location }));
  return out;
}
