import type { Finding } from "../nsg/findings";
import { CheckUnit } from "./check";
import { RuleExposureEvent, exposureReason } from "./exposure";
import type { UnreadableRuleEvent } from "./rdpg003-nsg-rule-unevaluable";

/** RDPG004: a rule field is a computed output, unknown during `pulumi preview`; checked again at `pulumi up`. */
export const nsgRuleUnknownAtPreview = {
  id: "RDPG004",
  name: "nsg-rule-unknown-at-preview",
  title: "NSG rule depends on a value unknown during preview",
  severity: "note",
  rationale:
    "Computed values are only known when the resource is created; the policy runs again then and blocks if " +
    "exposed.",
  help: "Nothing to do now; `pulumi up` evaluates the rule with the real value before it is applied.",
  securitySeverity: "3.0",

  /** The rule's own fields are unknown. */
  finding(e: Omit<UnreadableRuleEvent, "failOnUnevaluable">): Finding {
    const what = e.problems.map((p) => `${p.field}='${p.value}': ${p.reason}`).join("; ");
    const subject = e.rule ? `rule '${e.rule.name}'` : "security rules";
    return {
      checkId: nsgRuleUnknownAtPreview.id,
      severity: nsgRuleUnknownAtPreview.severity,
      resource: e.nsg,
      rule: e.rule,
      location: e.location,
      problems: e.problems,
      reason: what,
      message:
        `NSG '${e.nsg.name}' ${subject} cannot be checked during preview (${what}); ` + "it is checked at 'pulumi up'",
      fix: nsgRuleUnknownAtPreview.help,
    };
  },

  /** The rule would expose RDP unless a higher-priority Deny, whose values are unknown, covers it. */
  deferredExposureFinding(e: RuleExposureEvent): Finding {
    return {
      checkId: nsgRuleUnknownAtPreview.id,
      severity: nsgRuleUnknownAtPreview.severity,
      resource: e.nsg,
      rule: e.rule,
      location: e.location,
      exposure: e.exposure,
      reason: `${exposureReason(e.why, false)}; a higher-priority Deny depends on values unknown during preview`,
      message:
        `NSG '${e.nsg.name}' rule '${e.rule.name}' may expose RDP port ${e.exposure.ports.join(", ")}; decided ` +
        "at 'pulumi up' when the Deny's values are known",
      fix: nsgRuleUnknownAtPreview.help,
    };
  },
} as const satisfies CheckUnit;
