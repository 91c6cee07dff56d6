import { DEFAULT_CONFIG, GuardConfig } from "../../src/config";
import { scanNsgs } from "../../src/engine";
import { Finding } from "../../src/nsg/findings";
import { NsgInput, RuleInput } from "../../src/nsg/rules";

/** An inbound TCP Allow rule to port 3389 from `*`, overridable field by field. */
export function rule(overrides: Partial<RuleInput> & { name?: string } = {}): RuleInput {
  return {
    name: "rdp",
    priority: 100,
    direction: "Inbound",
    access: "Allow",
    protocol: "Tcp",
    sourceAddressPrefix: "*",
    destinationAddressPrefix: "*",
    destinationPortRange: "3389",
    ...overrides,
  };
}

export function nsg(rules: RuleInput[], name = "nsg-test"): NsgInput {
  return {
    id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/${name}`,
    name,
    type: "test",
    rules,
  };
}

export function scan(rules: RuleInput[], config: Partial<GuardConfig> = {}): Finding[] {
  return scanNsgs([nsg(rules)], { ...DEFAULT_CONFIG, ...config }).findings;
}

export function ids(findings: Finding[]): string[] {
  return findings.map((f) => `${f.checkId}:${f.rule?.name ?? "-"}`).sort();
}
