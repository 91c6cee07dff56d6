import type { Finding } from "../nsg/findings";
import type { SourceLocation } from "../nsg/rules";
import { CheckUnit, Severity, VmSubject, vmRef } from "./check";
import { NsgFacts, RuleProblemEvent, nsgSubject, problemsText } from "./nsg-rule";

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

  /** Rule fields that can never be evaluated as written (or an unreadable rule list). */
  finding(e: RuleProblemEvent & { readonly failOnUnevaluable: boolean }): Finding {
    const what = problemsText(e.problems);
    const subject = `${nsgSubject(e.nsg)} ${e.rule ? `rule '${e.rule.name}'` : "security rules"}`;
    return {
      checkId: nsgRuleUnevaluable.id,
      severity: nsgRuleUnevaluable.severityFor(e.failOnUnevaluable),
      resource: e.nsg.ref,
      rule: e.rule,
      location: e.location,
      problems: e.problems,
      reason: what,
      message: `${subject} cannot be evaluated: ${what}`,
      fix: nsgRuleUnevaluable.help,
    };
  },

  /** Several inbound rules share a priority: Azure rejects the NSG and their order is undefined. */
  duplicatePriorityFinding(e: {
    readonly nsg: NsgFacts;
    readonly priority: number;
    /** The rules sharing it, in input order; the first one locates the finding. */
    readonly names: readonly string[];
    readonly location?: SourceLocation;
    readonly failOnUnevaluable: boolean;
  }): Finding {
    const names = e.names.join(", ");
    return {
      checkId: nsgRuleUnevaluable.id,
      severity: nsgRuleUnevaluable.severityFor(e.failOnUnevaluable),
      resource: e.nsg.ref,
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
        `NSG '${e.nsg.ref.name}' has several inbound rules with priority ${e.priority} (${names}); their order ` +
        "cannot be evaluated",
      fix: "Give every inbound rule a unique priority.",
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
} as const satisfies CheckUnit;
