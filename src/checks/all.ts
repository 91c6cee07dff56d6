// One line per check: index.ts builds ALL_CHECKS from this list.
export { nsgNoInternetRdp } from "./rdpg001-nsg-no-internet-rdp";
export { nsgNoInternetRdpUdp } from "./rdpg002-nsg-no-internet-rdp-udp";
export { nsgRuleUnevaluable } from "./rdpg003-nsg-rule-unevaluable";
export { nsgRuleUnknownAtPreview } from "./rdpg004-nsg-rule-unknown-at-preview";
export { exemptionExpired } from "./rdpg005-exemption-expired";
export { windowsVmBootDiagnostics } from "./rdpg010-windows-vm-boot-diagnostics";
export { windowsVmRdpHardening } from "./rdpg011-windows-vm-rdp-hardening";
export { vmRdpHardeningDrift } from "./rdpg020-vm-rdp-hardening-drift";
export { vmUnreachable } from "./rdpg021-vm-unreachable";
