import { CheckUnit } from "./check";

/**
 * RDPG004: a rule field is a computed output, unknown during `pulumi preview`; checked again at `pulumi up`.
 * Its findings (and the NSG-rule findings of RDPG001-003) are still worded in src/nsg/evaluate.ts.
 */
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
} as const satisfies CheckUnit;
