import { CheckDefinition } from "./check";
import { internetRdpTcp } from "./rdpg001-internet-rdp-tcp";
import { internetRdpUdp } from "./rdpg002-internet-rdp-udp";
import { unevaluableRule } from "./rdpg003-unevaluable-rule";
import { unknownAtPreview } from "./rdpg004-unknown-at-preview";
import { expiredExemption } from "./rdpg005-expired-exemption";
import { bootDiagnostics } from "./rdpg010-boot-diagnostics";
import { hardeningExtension } from "./rdpg011-hardening-extension";
import { hardeningDrift } from "./rdpg020-hardening-drift";
import { vmUnreachable } from "./rdpg021-vm-unreachable";

export type { CheckDefinition, Severity } from "./check";
export { internetRdpTcp, internetRdpUdp, unevaluableRule, unknownAtPreview, expiredExemption, bootDiagnostics, hardeningExtension, hardeningDrift, vmUnreachable };

export const ALL_CHECKS: readonly CheckDefinition[] = [
  internetRdpTcp, internetRdpUdp, unevaluableRule, unknownAtPreview, expiredExemption, bootDiagnostics, hardeningExtension,
  hardeningDrift, vmUnreachable,
];
