import { CheckDefinition } from "./check";

/** RDPG020: the RdpHardening extension reports settings that differ from the baseline (or failed). */
export const hardeningDrift: CheckDefinition = {
  id: "RDPG020",
  name: "vm-rdp-hardening-drift",
  title: "Windows VM has drifted from the RDP baseline",
  severity: "warning",
  rationale: "A flipped TLS key, a GPO that reverts NLA or an expiring certificate is how RDP ends in an 'internal error'.",
  help: "Run `rdp-guard plan` and `rdp-guard remediate`: the extension re-runs in enforce mode; settings managed by GPO must be changed in the GPO.",
};
