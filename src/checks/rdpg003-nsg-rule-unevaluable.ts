import type { Finding, ResourceRef } from "../nsg/findings";
import type { RuleProblem } from "../nsg/parse-rule";
import type { SourceLocation } from "../nsg/rules";
import { CheckUnit, Severity, VmSubject, vmRef } from "./check";

/** Rule fields the engine could not read (or the whole rule list, when `rule` is absent). */
export interface UnreadableRuleEvent {
  readonly nsg: ResourceRef;
  readonly rule?: { readonly name: string; readonly priority?: number; readonly resourceId?: string };
  readonly location?: SourceLocation;
  readonly problems: readonly RuleProblem[];
  readonly failOnUnevaluable: boolean;
}

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

  finding(e: UnreadableRuleEvent): Finding {
    const what = e.problems.map((p) => `${p.field}='${p.value}': ${p.reason}`).join("; ");
    const subject = e.rule ? `rule '${e.rule.name}'` : "security rules";
    return {
      checkId: nsgRuleUnevaluable.id,
      severity: nsgRuleUnevaluable.severityFor(e.failOnUnevaluable),
      resource: e.nsg,
      rule: e.rule,
      location: e.location,
      problems: e.problems,
      reason: what,
      message: `NSG '${e.nsg.name}' ${subject} cannot be evaluated: ${what}`,
      fix: nsgRuleUnevaluable.help,
    };
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

  /** Several inbound rules share a priority: Azure rejects the NSG and their order is undefined. */
  duplicatePriorityFinding(e: {
    nsg: ResourceRef;
    priority: number;
    names: readonly string[];
    location?: SourceLocation;
    failOnUnevaluable: boolean;
  }): Finding {
    const names = e.names.join(", ");
    return {
      checkId: nsgRuleUnevaluable.id,
      severity: nsgRuleUnevaluable.severityFor(e.failOnUnevaluable),
      resource: e.nsg,
      rule: { name: e.names[0]!, priority: e.priority },
      location: e.location,
      problems: [
        {
          field: "priority",
          value: String(e.priority),
          reason: `shared by inbound rules ${names}`,
          kind: "unevaluable",
        },
      ],
      reason: `priority ${e.priority} is used by ${names}; Azure rejects the NSG and the order cannot be decided`,
      message:
        `NSG '${e.nsg.name}' has several inbound rules with priority ${e.priority} (${names}); their order ` +
        "cannot be evaluated",
      fix: "Give every inbound rule a unique priority.",
    };
  },
} as const satisfies CheckUnit;
