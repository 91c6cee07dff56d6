import type { Finding } from "../nsg/findings";
import { CheckUnit, VmSubject } from "./check";
import { VmExposureEvent, vmExposureFinding } from "./exposure";
import { RuleExposureEvent, ruleExposureFinding } from "./nsg-rule";

/**
 * RDPG001: an inbound Allow rule lets Internet sources reach an RDP port over TCP, after rule
 * priority and higher-priority Deny rules are taken into account.
 */
export const nsgNoInternetRdp = {
  id: "RDPG001",
  name: "nsg-no-internet-rdp",
  title: "RDP (TCP) is reachable from the Internet",
  severity: "error",
  rationale:
    "An RDP listener open to the Internet is brute-forced and attacked, the first cause the 'internal error' " +
    "runbook lists.",
  help:
    "Restrict the rule's source to your admin IP (a /32) or trusted ranges, or remove it and use Azure Bastion or " +
    "just-in-time VM access.",
  securitySeverity: "9.1",

  /** An NSG rule (IaC inputs, the policy pack, fleet plans). */
  ruleFinding(e: RuleExposureEvent): Finding {
    return ruleExposureFinding(nsgNoInternetRdp, e);
  },
  /** A live VM's effective exposure (fleet audit). */
  vmFinding(vm: VmSubject, e: VmExposureEvent): Finding {
    return vmExposureFinding(nsgNoInternetRdp, vm, e);
  },
} as const satisfies CheckUnit;
