/**
 * azure-rdp-guard/policies: the Pulumi policies as objects, for composing into your own pack the way
 * the pulumi/compliance-policies packages are used, plus `rdpGuardPolicies` to build the whole set
 * from a config object. The pack in `policies/` of the repository is one such composition.
 */
import { EnforcementLevel, Policies } from "@pulumi/policy";
import { RunError } from "@pulumi/pulumi";
import { loadConfig } from "../../src/config";
import { ConfigError } from "../../src/errors";
import { packageVersion } from "../../src/version";
import { nsgNoInternetRdp, nsgNoInternetRdpPolicy } from "./nsg-no-internet-rdp";
import {
  nsgNoInternetRdpStandalone,
  nsgNoInternetRdpStandalonePolicy,
  STANDALONE_POLICY,
} from "./nsg-no-internet-rdp-standalone";
import { PolicyConfigInput } from "./pulumi-props";
import { windowsVmBootDiagnostics } from "./windows-vm-boot-diagnostics";
import { windowsVmRdpHardening } from "./windows-vm-rdp-hardening";

export { nsgNoInternetRdp, nsgNoInternetRdpPolicy, nsgNoInternetRdpStandalone, nsgNoInternetRdpStandalonePolicy };
export { windowsVmBootDiagnostics, windowsVmRdpHardening, STANDALONE_POLICY };
export type { PolicyConfigInput };
export { packageVersion };

/** The pack name the repository's pack publishes under. */
export const PACK_NAME = "azure-rdp-guard";

export interface RdpGuardPoliciesOptions extends PolicyConfigInput {
  /** Overrides every policy's default level (NSG policies: mandatory; VM policies: advisory). */
  readonly enforcementLevel?: EnforcementLevel;
}

/**
 * All azure-rdp-guard policies, configured in code. The options take the same fields as
 * rdp-guard.json (rdpPorts, trustedSourcePrefixes, exemptions, ...) and are checked here, so a bad
 * value fails when the pack loads, naming the field. Config set on the policy at run time (policy
 * group, `--policy-pack-config`) still overrides these values.
 */
export function rdpGuardPolicies(options: RdpGuardPoliciesOptions = {}): Policies {
  const { enforcementLevel, ...config } = options;
  try {
    loadConfig(config, "rdpGuardPolicies options");
  } catch (e) {
    // A RunError makes the policy host print the message alone, without a stack trace.
    throw e instanceof ConfigError ? new RunError(e.message) : e;
  }
  const policies: Policies = [
    nsgNoInternetRdpPolicy(config),
    nsgNoInternetRdpStandalonePolicy(config),
    windowsVmBootDiagnostics,
    windowsVmRdpHardening,
  ];
  return enforcementLevel ? policies.map((p) => ({ ...p, enforcementLevel })) : policies;
}
