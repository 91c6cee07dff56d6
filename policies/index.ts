import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, rdpGuardPolicies } from "azure-rdp-guard/policies";

// `pulumi preview --policy-pack <this dir>` loads this file. Config comes from the policy group or
// `--policy-pack-config`; pass options to rdpGuardPolicies() to set defaults in code.
new PolicyPack(PACK_NAME, { policies: rdpGuardPolicies() });
