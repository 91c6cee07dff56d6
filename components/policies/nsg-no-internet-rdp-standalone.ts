import { StackValidationPolicy } from "@pulumi/policy";
import { nsgNoInternetRdp } from "../../src/checks";
import { CONFIG_PROPERTIES } from "../../src/config";
import { scanNsgs } from "../../src/engine";
import {
  PulumiResource,
  groupNsgs,
  isNsgType,
  isRuleType,
  nsgFromPulumi,
  ruleFromPulumi,
} from "../../src/formats/pulumi-resource";
import { PolicyConfigInput, policyConfig, proxyGet, reportFinding } from "./pulumi-props";

export const STANDALONE_POLICY = `${nsgNoInternetRdp.name}-standalone`;

/**
 * nsg-no-internet-rdp-standalone (RDPG001-RDPG005 for standalone rules): groups every NSG and
 * standalone security rule of the stack by resource group and NSG name, evaluates each NSG as a
 * whole, and reports exposures caused by standalone rules, so a rule shadowed by a Deny declared in
 * another resource is not reported. Takes the same config as nsg-no-internet-rdp.
 *
 * Rationale: peers judge one rule at a time and cannot see a Deny defined elsewhere.
 */
export function nsgNoInternetRdpStandalonePolicy(base: PolicyConfigInput = {}): StackValidationPolicy {
  return {
    name: STANDALONE_POLICY,
    description: `${nsgNoInternetRdp.title} (standalone security rules, judged with their NSG).`,
    enforcementLevel: "mandatory",
    configSchema: { properties: CONFIG_PROPERTIES },
    validateStack: (args, reportViolation) => {
      // Property dependencies name the NSG a rule's unknown `networkSecurityGroupName` comes from.
      const resources: PulumiResource[] = args.resources.map((r) => ({
        type: r.type,
        urn: r.urn,
        name: r.name,
        props: r.props,
        parent: r.parent?.urn,
        propertyDependencies: Object.fromEntries(
          Object.entries(r.propertyDependencies ?? {}).map(([k, deps]) => [k, deps.map((d) => d.urn)]),
        ),
      }));
      const rules = resources.filter((r) => isRuleType(r.type)).map((r) => ruleFromPulumi(r, proxyGet));
      if (rules.length === 0) return;
      const config = policyConfig(args.getConfig(), STANDALONE_POLICY, base);
      const nsgs = resources.filter((r) => isNsgType(r.type)).map((r) => nsgFromPulumi(r, proxyGet));
      const { findings } = scanNsgs(groupNsgs(nsgs, rules), config);
      for (const f of findings) {
        // Inline rules are reported by nsg-no-internet-rdp on their own resource.
        if (!f.rule?.resourceId) continue;
        reportFinding(reportViolation, f, f.rule.resourceId);
      }
    },
  };
}

export const nsgNoInternetRdpStandalone = nsgNoInternetRdpStandalonePolicy();
