import type { Finding } from "../nsg/findings";
import { CheckUnit } from "./check";

/** RDPG005: an exemption's expiry date has passed, so it no longer hides findings. */
export const exemptionExpired = {
  id: "RDPG005",
  name: "exemption-expired",
  title: "Exemption has expired",
  severity: "warning",
  rationale: "Exemptions are temporary by design; an expired one must be renewed on purpose or removed.",
  help: "Fix the exempted resource, or extend the exemption's `expires` date with a fresh reason.",
  securitySeverity: "5.0",

  /** Reported beside `hidden`, the finding the expired exemption no longer hides. */
  finding(hidden: Finding, exemption: { resource: string; reason: string; expires: string }): Finding {
    return {
      checkId: exemptionExpired.id,
      severity: exemptionExpired.severity,
      resource: hidden.resource,
      location: hidden.location,
      reason: `exemption '${exemption.resource}' (${exemption.reason}) expired on ${exemption.expires}`,
      message:
        `Exemption '${exemption.resource}' for '${hidden.resource.name}' expired on ${exemption.expires}; its ` +
        "findings are reported again",
      fix: exemptionExpired.help,
    };
  },
} as const satisfies CheckUnit;
