import type { Finding } from "../nsg/findings";
import { CheckUnit, Severity, VmSubject, vmRef } from "./check";

/**
 * RDPG003: a rule could not be evaluated (template expression, malformed port, unknown service tag,
 * priority out of range or shared). Fail closed: what cannot be proven safe is reported.
 */
export const nsgRuleUnevaluable = {
  id: "RDPG003",
  name: "nsg-rule-unevaluable",
  title: "NSG rule cannot be evaluated",
  severity: "error",
  severityNote: "warning with `failOnUnevaluable: false`",
  rationale: "A rule the checker cannot read may expose RDP; passing it silently is how peer scanners miss exposures.",
  help:
    "Write the field as a literal Azure accepts, pass a parameters file, or list the service tag in " +
    "trustedSourcePrefixes if it is trusted.",
  securitySeverity: "7.0",

  /** `failOnUnevaluable: false` turns these into warnings. */
  severityFor(failOnUnevaluable: boolean): Severity {
    return failOnUnevaluable ? "error" : "warning";
  },


  /** A live VM whose effective exposure cannot be decided (its NICs, subnets or NSGs could not be read). */
  vmFinding(vm: VmSubject, why: string): Finding {
    return {
      checkId: nsgRuleUnevaluable.id,
      severity: nsgRuleUnevaluable.severity,
      resource: vmRef(vm),
      reason: why,
      message: `RDP exposure of Windows VM '${vm.name}' cannot be decided: ${why}`,
      fix: "Grant read access (Reader) on the VM's NICs, virtual networks, NSGs and public IPs, and audit again.",
    };
  },

} as const satisfies CheckUnit;
