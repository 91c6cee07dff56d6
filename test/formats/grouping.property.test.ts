import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config";
import { parseDocument } from "../../src/formats/detect";
import { parseJsonText } from "../../src/formats/json-source";
import { scanInputs } from "../../src/engine";

/*
 * Issue 12.1: standalone rules of different NSGs must never merge. The generator builds a stack of
 * NSGs whose names are unknown during preview, each with inline rules and standalone rules that
 * refer to their NSG by a property dependency, or by nothing at all. Judging each NSG in a preview
 * of its own must give exactly the verdicts it gets when every NSG is scanned together.
 */

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const NSG_TYPE = "azure-native:network:NetworkSecurityGroup";
const RULE_TYPE = "azure-native:network:SecurityRule";

const ruleArb = fc.record({
  access: fc.constantFrom("Allow", "Deny"),
  protocol: fc.constantFrom("Tcp", "Udp", "*"),
  source: fc.constantFrom("*", "Internet", "10.0.0.0/8", "203.0.113.0/24", "0.0.0.0/0", "AzureCloud", "VirtualNetwork"),
  port: fc.constantFrom("3389", "22", "*", "3000-4000"),
  standalone: fc.boolean(),
  linked: fc.constantFrom("dependency", "none", "name"),
});
const stackArb = fc.array(fc.array(ruleArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 });

interface RuleSpec {
  access: string;
  protocol: string;
  source: string;
  port: string;
  standalone: boolean;
  linked: string;
}
type Stack = RuleSpec[][];

const nsgUrn = (i: number): string => `urn:pulumi:dev::app::${NSG_TYPE}::nsg-${i}`;

/** A `pulumi preview --json` with the NSGs whose index is in `only`. */
function preview(stack: Stack, only: ReadonlySet<number>): string {
  const steps: unknown[] = [];
  stack.forEach((rules, i) => {
    if (!only.has(i)) return;
    const flat = (r: RuleSpec, j: number) => ({
      name: `r${i}-${j}`,
      priority: 100 + j * 10,
      direction: "Inbound",
      access: r.access,
      protocol: r.protocol,
      sourceAddressPrefix: r.source,
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: r.port,
    });
    const inline = rules.flatMap((r, j) => (r.standalone ? [] : [flat(r, j)]));
    // Half the NSGs have a name known at preview; the others are auto-named (unknown).
    const named = i % 2 === 0 ? { networkSecurityGroupName: `nsg-${i}` } : {};
    steps.push({
      op: "create",
      urn: nsgUrn(i),
      newState: {
        urn: nsgUrn(i),
        type: NSG_TYPE,
        inputs: { resourceGroupName: "rg", ...named, securityRules: inline },
      },
    });
    rules.forEach((r, j) => {
      if (!r.standalone) return;
      const urn = `urn:pulumi:dev::app::${RULE_TYPE}::r${i}-${j}`;
      const nsgName = r.linked === "name" && i % 2 === 0 ? `nsg-${i}` : UNKNOWN;
      const deps = r.linked === "dependency" ? { networkSecurityGroupName: [nsgUrn(i)] } : {};
      const { name: _n, ...fields } = flat(r, j);
      steps.push({
        op: "create",
        urn,
        newState: {
          urn,
          type: RULE_TYPE,
          inputs: {
            resourceGroupName: "rg",
            networkSecurityGroupName: nsgName,
            securityRuleName: `r${i}-${j}`,
            ...fields,
          },
          propertyDependencies: deps,
        },
      });
    });
  });
  return JSON.stringify({ steps });
}

/** Verdicts per rule (check id and rule name), for the NSGs in `only`. */
function verdicts(stack: Stack, only: ReadonlySet<number>): string[] {
  const input = parseDocument(parseJsonText("preview.json", preview(stack, only)))!;
  return scanInputs([input], DEFAULT_CONFIG)
    .findings.map((f) => `${f.checkId}:${f.rule?.name ?? f.resource.name}`)
    .sort();
}

describe("grouping of standalone rules (property)", () => {
  it("each NSG judged alone gets the verdicts it gets when scanned together with the others", () => {
    fc.assert(
      fc.property(stackArb, (stack) => {
        const all = new Set(stack.map((_, i) => i));
        const alone = stack.flatMap((_, i) => verdicts(stack, new Set([i]))).sort();
        expect(verdicts(stack, all)).toEqual(alone);
      }),
      { numRuns: 300 },
    );
  });
});
