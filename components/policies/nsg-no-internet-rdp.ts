import { ResourceValidationPolicy } from "@pulumi/policy";
import * as checks from "../../src/checks";
import { CONFIG_PROPERTIES } from "../../src/config";
import { scanNsgs } from "../../src/engine";
import { isRecord, plainGet } from "../../src/formats/fields";
import {
  PulumiResource,
  isNsgType,
  isRuleType,
  nsgFromPulumi,
  ruleFromPulumi,
} from "../../src/formats/pulumi-resource";
import { narrowNamedRules, narrowRuleSource } from "../../src/nsg/remediate";
import { PolicyConfigInput, policyConfig, reportFinding, snapshotProps } from "./pulumi-props";

/**
 * nsg-no-internet-rdp (RDPG001-RDPG005): an NSG, or a standalone rule evaluated on its own, must not
 * let Internet sources reach RDP. Inline rules are judged here with priority and shadowing; a
 * standalone rule's siblings live in other resources, so `nsg-no-internet-rdp-standalone` judges it
 * at stack level and this policy only remediates it.
 *
 * Rationale: the runbook's first step is closing 3389 to the Internet.
 *
 * `base` is config given in code (see `rdpGuardPolicies`); the host's policy config overrides it.
 */
export function nsgNoInternetRdpPolicy(base: PolicyConfigInput = {}): ResourceValidationPolicy {
  return {
    name: checks.nsgNoInternetRdp.name,
    description: `${checks.nsgNoInternetRdp.title}. ${checks.nsgNoInternetRdp.rationale}`,
    enforcementLevel: "mandatory",
    configSchema: { properties: CONFIG_PROPERTIES },
    validateResource: (args, reportViolation) => {
      if (!isNsgType(args.type)) return;
      const config = policyConfig(args.getConfig(), checks.nsgNoInternetRdp.name, base);
      const resource: PulumiResource = {
        type: args.type,
        urn: args.urn,
        name: args.name,
        props: snapshotProps(args.props),
      };
      const { findings } = scanNsgs([nsgFromPulumi(resource).nsg], config);
      for (const f of findings) reportFinding(reportViolation, f);
    },
    remediateResource: (args) => {
      const config = policyConfig(args.getConfig(), checks.nsgNoInternetRdp.name, base);
      const prefixes = config.remediationSourcePrefixes;
      if (prefixes.length === 0) return undefined;
      const props = plainCopy(args.props);
      if (!props) return undefined;
      const resource: PulumiResource = { type: args.type, urn: args.urn, name: args.name, props };
      if (isNsgType(args.type)) {
        const { evaluations } = scanNsgs([nsgFromPulumi(resource).nsg], { ...config, exemptions: [] });
        const exposing = new Set(evaluations.flatMap((e) => e.exposures.map((x) => x.rule.input.name)));
        if (exposing.size === 0 || !Array.isArray(props.securityRules)) return undefined;
        const rules = props.securityRules.filter(isRecord);
        return { ...props, securityRules: narrowNamedRules(rules, exposing, prefixes) };
      }
      if (isRuleType(args.type)) {
        const { rule, nsgName } = ruleFromPulumi(resource, plainGet);
        const { evaluations } = scanNsgs([{ id: args.urn, name: nsgName, type: args.type, rules: [rule] }], {
          ...config,
          exemptions: [],
        });
        if (evaluations.every((e) => e.exposures.length === 0)) return undefined;
        return narrowRuleSource(props, prefixes);
      }
      return undefined;
    },
  };
}

export const nsgNoInternetRdp = nsgNoInternetRdpPolicy();

/** A plain copy of proxied props; undefined when any value is still unknown (nothing to rewrite yet). */
function plainCopy(props: Record<string, unknown>): Record<string, unknown> | undefined {
  try {
    return JSON.parse(JSON.stringify(props)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
