import type { Finding } from "../nsg/findings";
import { CheckUnit, VmSubject, vmRef } from "./check";

/** RDPG020: the RdpHardening extension reports settings that differ from the baseline (or failed). */
export const vmRdpHardeningDrift = {
  id: "RDPG020",
  name: "vm-rdp-hardening-drift",
  title: "Windows VM has drifted from the RDP baseline",
  severity: "warning",
  rationale:
    "A flipped TLS key, a GPO that reverts NLA or an expiring certificate is how RDP ends in an " + "'internal error'.",
  help:
    "Run `rdp-guard plan` and `rdp-guard remediate`: the extension re-runs in enforce mode; settings managed by " +
    "GPO must be changed in the GPO.",
  securitySeverity: "5.5",

  /** `what`: the settings the extension reports as not ok, or its failure. */
  finding(vm: VmSubject, what: string): Finding {
    return {
      checkId: vmRdpHardeningDrift.id,
      severity: vmRdpHardeningDrift.severity,
      resource: vmRef(vm),
      reason: what,
      message: `Windows VM '${vm.name}' drifted from the RDP baseline: ${what}`,
      fix: vmRdpHardeningDrift.help,
    };
  },
} as const satisfies CheckUnit;
