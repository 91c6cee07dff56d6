import { CheckDefinition } from "./check";
import { nsgNoInternetRdp } from "./rdpg001-nsg-no-internet-rdp";
import { nsgNoInternetRdpUdp } from "./rdpg002-nsg-no-internet-rdp-udp";
import { nsgRuleUnevaluable } from "./rdpg003-nsg-rule-unevaluable";
import { nsgRuleUnknownAtPreview } from "./rdpg004-nsg-rule-unknown-at-preview";
import { exemptionExpired } from "./rdpg005-exemption-expired";
import { windowsVmBootDiagnostics } from "./rdpg010-windows-vm-boot-diagnostics";
import { windowsVmRdpHardening } from "./rdpg011-windows-vm-rdp-hardening";
import { vmRdpHardeningDrift } from "./rdpg020-vm-rdp-hardening-drift";
import { vmUnreachable } from "./rdpg021-vm-unreachable";

export type { CheckDefinition, Severity, VmSubject } from "./check";
export type { ExposureWhy } from "./exposure";
export {
  nsgNoInternetRdp,
  nsgNoInternetRdpUdp,
  nsgRuleUnevaluable,
  nsgRuleUnknownAtPreview,
  exemptionExpired,
  windowsVmBootDiagnostics,
  windowsVmRdpHardening,
  vmRdpHardeningDrift,
  vmUnreachable,
};

/** Every check, in id order: the SARIF rule list, the README table and the registry test read this. */
export const ALL_CHECKS: readonly CheckDefinition[] = [
  nsgNoInternetRdp,
  nsgNoInternetRdpUdp,
  nsgRuleUnevaluable,
  nsgRuleUnknownAtPreview,
  exemptionExpired,
  windowsVmBootDiagnostics,
  windowsVmRdpHardening,
  vmRdpHardeningDrift,
  vmUnreachable,
];

export function checkById(id: string): CheckDefinition | undefined {
  return ALL_CHECKS.find((c) => c.id === id);
}
