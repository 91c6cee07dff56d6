import type { ExposureDetail, Finding, ResourceRef } from "../nsg/findings";
import type { SourceLocation } from "../nsg/rules";
import { CheckDefinition, CheckUnit, VmSubject, vmRef } from "./check";
import { ExposureWhy, exposureReason } from "./exposure";

/** The exposing rule as the engine saw it. */
export interface RuleExposureEvent {
  readonly nsg: ResourceRef;
  readonly rule: { readonly name: string; readonly priority: number; readonly resourceId?: string };
  readonly location?: SourceLocation;
  readonly exposure: ExposureDetail;
  readonly why: ExposureWhy;
  /** "TCP and UDP" when the same rule exposes both. */
  readonly protocols: string;
}

/** A live VM's effective (NIC + subnet) exposure. */
export interface VmExposureEvent {
  readonly ports: readonly number[];
  readonly protocol: "TCP" | "UDP";
  readonly reason: string;
}

/**
 * RDPG001: an inbound Allow rule lets Internet sources reach an RDP port over TCP, after rule
 * priority and higher-priority Deny rules are taken into account.
 */
export const nsgNoInternetRdp = {
  id: "RDPG001",
  name: "nsg-no-internet-rdp",
  title: "RDP (TCP) is reachable from the Internet",
  severity: "error",
  rationale: "An RDP listener open to the Internet is brute-forced and attacked, the first cause the 'internal error' "
    + "runbook lists.",
  help: "Restrict the rule's source to your admin IP (a /32) or trusted ranges, or remove it and use Azure Bastion or "
    + "just-in-time VM access.",
  securitySeverity: "9.1",

  ruleFinding(e: RuleExposureEvent): Finding {
    return exposureFinding(nsgNoInternetRdp, e);
  },
  vmFinding(vm: VmSubject, e: VmExposureEvent): Finding {
    return vmExposureFinding(nsgNoInternetRdp, vm, e);
  },
} as const satisfies CheckUnit;

/** Shared with RDPG002, which differs only in protocol. A literal object: this runs once per exposing rule. */
export function exposureFinding(check: CheckDefinition, e: RuleExposureEvent): Finding {
  const reason = exposureReason(e.why);
  const ports = e.exposure.ports.join(", ");
  return {
    checkId: check.id, severity: check.severity, resource: e.nsg, rule: e.rule, location: e.location,
    exposure: e.exposure, reason,
    message: `NSG '${e.nsg.name}' rule '${e.rule.name}' (priority ${e.rule.priority}) exposes RDP port ${ports} over `
      + `${e.protocols} to the Internet: ${reason}`,
    fix: `Restrict the source of rule '${e.rule.name}' to your admin IP (a /32) or trusted ranges, or remove it and `
      + "use Azure Bastion or just-in-time VM access.",
  };
}

export function vmExposureFinding(check: CheckDefinition, vm: VmSubject, e: VmExposureEvent): Finding {
  return {
    checkId: check.id, severity: check.severity, resource: vmRef(vm), reason: e.reason,
    message: `Windows VM '${vm.name}' is reachable on RDP port ${e.ports.join(", ")} over ${e.protocol} from the `
      + `Internet: ${e.reason}`,
    fix: check.help,
  };
}
