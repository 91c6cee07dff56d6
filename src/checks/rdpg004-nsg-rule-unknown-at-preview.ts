import type { Finding } from "../nsg/findings";
import type { SourceLocation } from "../nsg/rules";
import { CheckUnit } from "./check";
import {
  NsgFacts,
  RuleExposureEvent,
  RuleProblemEvent,
  RuleRef,
  exposureWhy,
  nsgSubject,
  problemsText,
} from "./nsg-rule";

/**
 * RDPG004: a rule field is a computed output, unknown while the change is only planned (`pulumi preview`,
 * `terraform plan`); it can be checked once the value is known. The wording follows the input's tool.
 */
export const nsgRuleUnknownAtPreview = {
  id: "RDPG004",
  name: "nsg-rule-unknown-at-preview",
  title: "NSG rule depends on a value unknown before deployment",
  severity: "note",
  rationale:
    "Computed values are only known when the resource is created; rather than block a preview or plan on a guess, " +
    "the rule is checked again with the real values (the policy pack blocks `pulumi up` then if it exposes RDP).",
  help:
    "Nothing to do now for Pulumi: `pulumi up` evaluates the rule with the real value before it is applied. For a " +
    "Terraform plan, scan the state (`terraform show -json`) after `terraform apply`, or make the value known at " +
    "plan time.",
  securitySeverity: "3.0",

  /** The rule's own fields (or the NSG's rule list) are unknown until deployment. */
  finding(e: RuleProblemEvent): Finding {
    const what = problemsText(e.problems);
    const phase = phaseOf(e.nsg);
    const subject = `${nsgSubject(e.nsg)} ${e.rule ? `rule '${e.rule.name}'` : "security rules"}`;
    return {
      checkId: nsgRuleUnknownAtPreview.id,
      severity: nsgRuleUnknownAtPreview.severity,
      resource: e.nsg.ref,
      rule: e.rule,
      location: e.location,
      problems: e.problems,
      reason: what,
      message: `${subject} cannot be checked ${phase.what} (${what}); ${phase.check}`,
      fix: phase.fix,
    };
  },

  /** The rule would expose RDP unless a higher-priority Deny, whose values are unknown yet, covers it. */
  deferredExposureFinding(e: RuleExposureEvent): Finding {
    const phase = phaseOf(e.nsg);
    const pending = `a higher-priority Deny depends on values unknown ${phase.what}`;
    return {
      checkId: nsgRuleUnknownAtPreview.id,
      severity: nsgRuleUnknownAtPreview.severity,
      resource: e.nsg.ref,
      rule: e.rule,
      location: e.location,
      exposure: e.exposure,
      reason: `${exposureWhy(e)}; ${pending}`,
      message:
        `${nsgSubject(e.nsg)} rule '${e.rule.name}' may expose RDP port ${e.exposure.ports.join(", ")}; ` +
        `${pending}: ${phase.check}`,
      fix: phase.fix,
    };
  },

  /** A standalone rule whose NSG is unknown yet is judged alone: a Deny in its NSG cannot count. */
  ungroupedRuleFinding(e: {
    readonly nsg: NsgFacts;
    readonly rule: RuleRef;
    readonly location?: SourceLocation;
    /** Why the rule could not be grouped with its NSG. */
    readonly why: string;
  }): Finding {
    return {
      checkId: nsgRuleUnknownAtPreview.id,
      severity: nsgRuleUnknownAtPreview.severity,
      resource: e.nsg.ref,
      rule: e.rule,
      location: e.location,
      reason: `the rule is judged on its own because ${e.why}`,
      message:
        `Standalone rule '${e.rule.name}' is judged on its own: ${e.why}; a Deny in its NSG cannot be taken ` +
        "into account",
      fix: "Give the rule's NSG a name known before deployment, or declare the rule inline in its NSG.",
    };
  },
} as const satisfies CheckUnit;

/** When unknown values become known, in the words of the tool that produced the input. */
function phaseOf(nsg: NsgFacts): { what: string; check: string; fix: string } {
  if (nsg.unknownsUntil === "terraform-apply") {
    return {
      what: "in the plan",
      check: "its value is known only after `terraform apply`: scan the state (`terraform show -json`) then",
      fix: "Scan `terraform show -json` of the state after `terraform apply`, or make the value known at plan time.",
    };
  }
  return {
    what: "during preview",
    check: "it is checked at `pulumi up`",
    fix: "Nothing to do now; `pulumi up` evaluates the rule with the real value before it is applied.",
  };
}
