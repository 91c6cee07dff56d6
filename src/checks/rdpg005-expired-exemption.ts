import { CheckDefinition } from "./check";

/** RDPG005: an exemption's expiry date has passed, so it no longer hides findings. */
export const expiredExemption: CheckDefinition = {
  id: "RDPG005",
  name: "exemption-expired",
  title: "Exemption has expired",
  severity: "warning",
  rationale: "Exemptions are temporary by design; an expired one must be renewed on purpose or removed.",
  help: "Fix the exempted resource, or extend the exemption's `expires` date with a fresh reason.",
};
