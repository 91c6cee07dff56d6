import { CheckDefinition } from "./check";

/**
 * RDPG003: a rule could not be evaluated (template expression, malformed port, unknown service tag,
 * priority out of range). Fail closed: what cannot be proven safe is reported.
 */
export const unevaluableRule: CheckDefinition = {
  id: "RDPG003",
  name: "nsg-rule-unevaluable",
  title: "NSG rule cannot be evaluated",
  severity: "error",
  rationale: "A rule the checker cannot read may expose RDP; passing it silently is how peer scanners miss exposures.",
  help: "Write the field as a literal Azure accepts, pass a parameters file, or list the service tag in trustedSourcePrefixes if it is trusted.",
};
