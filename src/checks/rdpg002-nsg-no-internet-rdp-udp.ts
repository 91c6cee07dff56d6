import type { Finding } from "../nsg/findings";
import { CheckUnit, VmSubject } from "./check";
import { VmExposureEvent, vmExposureFinding } from "./exposure";
import { RuleExposureEvent, ruleExposureFinding } from "./nsg-rule";

/** RDPG002: Internet sources reach an RDP port over UDP only (RDP's UDP transport). */
export const nsgNoInternetRdpUdp = {
  id: "RDPG002",
  name: "nsg-no-internet-rdp-udp",
  title: "RDP (UDP transport) is reachable from the Internet",
  severity: "warning",
  rationale:
    "RDP over UDP needs an established TCP session first, but the listener is still exposed and fingerprintable.",
  help: "Restrict the rule's source or protocol; RDP over UDP is only useful alongside an allowed TCP path.",
  securitySeverity: "6.5",

  /** An NSG rule (IaC inputs, the policy pack, fleet plans). */
  ruleFinding(e: RuleExposureEvent): Finding {
    return ruleExposureFinding(nsgNoInternetRdpUdp, e);
  },
  /** A live VM's effective exposure (fleet audit). */
  vmFinding(vm: VmSubject, e: VmExposureEvent): Finding {
    return vmExposureFinding(nsgNoInternetRdpUdp, vm, e);
  },
} as const satisfies CheckUnit;
