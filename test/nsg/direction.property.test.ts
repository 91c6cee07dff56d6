import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RuleInput } from "../../src/nsg/rules";
import { rule, scan } from "../helpers/nsg";

/*
 * Issue 12.5, the conservative direction: a value whose meaning is uncertain is read as the widest
 * thing it could mean in an Allow and the narrowest in a Deny. So if any reading of the value
 * exposes RDP, the engine's reading exposes RDP too: uncertainty can add findings, never hide one.
 */

/** Each uncertain spelling and concrete things it could mean. */
const READINGS: Record<string, string[]> = {
  AzureCloud: ["Internet", "20.0.0.0/8", "52.160.0.0/11", "203.0.113.7"],
  "AzureCloud.WestEurope": ["Internet", "20.0.0.0/8", "203.0.113.7"],
  "0.0.0.0": ["0.0.0.0/32", "*", "0.0.0.0/0"],
  "::": ["::/128", "*", "::/0"],
  "0/0": ["*", "0.0.0.0/0", "::/0"],
  "/0": ["*", "0.0.0.0/0", "::/0"],
};

const otherRule = fc.record({
  access: fc.constantFrom("Allow", "Deny"),
  source: fc.constantFrom(
    "*",
    "Internet",
    "10.0.0.0/8",
    "203.0.113.0/24",
    "0.0.0.0/0",
    "::/0",
    "2001:db8::/32",
    "VirtualNetwork",
  ),
  port: fc.constantFrom("3389", "*", "22"),
});
const nsgArb = fc.record({
  others: fc.array(otherRule, { maxLength: 5 }),
  uncertain: fc.constantFrom(...Object.keys(READINGS)),
  access: fc.constantFrom("Allow", "Deny"),
  at: fc.nat(5),
});

const exposes = (rules: RuleInput[]): boolean =>
  scan(rules).some((f) => f.checkId === "RDPG001" || f.checkId === "RDPG002");

describe("conservative direction (property)", () => {
  it("if any reading of an uncertain source exposes RDP, the engine's reading does too", () => {
    fc.assert(
      fc.property(nsgArb, ({ others, uncertain, access, at }) => {
        const build = (source: string): RuleInput[] => {
          const list: Partial<RuleInput>[] = others.map((o) => ({
            access: o.access,
            sourceAddressPrefix: o.source,
            destinationPortRange: o.port,
          }));
          list.splice(Math.min(at, list.length), 0, {
            access,
            sourceAddressPrefix: source,
            destinationPortRange: "3389",
          });
          return list.map((r, i) => rule({ name: `r${i}`, priority: 100 + i * 10, ...r }));
        };
        if (READINGS[uncertain]!.some((reading) => exposes(build(reading))))
          expect(exposes(build(uncertain))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
