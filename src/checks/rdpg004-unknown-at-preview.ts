import { CheckDefinition } from "./check";

/** RDPG004: a rule field is a computed output, unknown during `pulumi preview`; checked again at `pulumi up`. */
export const unknownAtPreview: CheckDefinition = {
  id: "RDPG004",
  name: "nsg-rule-unknown-at-preview",
  title: "NSG rule depends on a value unknown during preview",
  severity: "note",
  rationale: "Computed values are only known when the resource is created; the policy runs again then and blocks if exposed.",
  help: "Nothing to do now; `pulumi up` evaluates the rule with the real value before it is applied.",
};
