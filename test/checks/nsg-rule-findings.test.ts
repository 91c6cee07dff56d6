import { describe, expect, it } from "vitest";
import {
  RuleExposureEvent,
  nsgNoInternetRdp,
  nsgNoInternetRdpUdp,
  nsgRuleUnevaluable,
  nsgRuleUnknownAtPreview,
} from "../../src/checks";
import { DEFAULT_CONFIG } from "../../src/config";
import { scanNsgs } from "../../src/engine";
import { NsgInput, unresolved } from "../../src/nsg/rules";
import { nsg, rule, scan } from "../helpers/nsg";

/** The NSG-rule checks (RDPG001-004) word their findings from the facts the engine passes. */

const REF = { id: "/nsg/a", name: "nsg-a", type: "Microsoft.Network/networkSecurityGroups" };

function exposure(o: { v4: bigint; v6: bigint; written: string[]; kind?: string }): RuleExposureEvent {
  return {
    nsg: { ref: REF },
    rule: { name: "wide", priority: 300 },
    exposure: {
      protocol: "TCP",
      ports: [3389],
      sources: [],
      publicAddresses: (o.v4 + o.v6).toString(),
      publicIPv4Addresses: o.v4.toString(),
      publicIPv6Addresses: o.v6.toString(),
      sourceAsWritten: o.written,
      partiallyShadowedBy: [],
    },
    sourceParts: o.written.map((text) => ({ kind: o.kind ?? "address", text })),
    publicAddresses: { total: o.v4 + o.v6, v4: o.v4, v6: o.v6 },
    maxPublicSourceAddresses: 256,
    alsoUdp: false,
  } as RuleExposureEvent;
}

describe("RDPG001/002 rule findings", () => {
  it("count public IPv4 and IPv6 addresses separately, never added up", () => {
    const both = nsgNoInternetRdp.ruleFinding(exposure({ v4: 2n ** 24n, v6: 2n ** 116n, written: ["a", "b"] }));
    expect(both.message).toContain(
      "source a, b admits 16,777,216 public IPv4 addresses and ~8.3e34 public IPv6 addresses",
    );
    const v6 = nsgNoInternetRdpUdp.ruleFinding(exposure({ v4: 0n, v6: 2n ** 116n, written: ["2600::/12"] }));
    expect(v6.checkId).toBe("RDPG002");
    expect(v6.reason).toBe(
      "source 2600::/12 admits ~8.3e34 public IPv6 addresses (more than maxPublicSourceAddresses=256)",
    );
  });

  it("name the state of a stack export the finding is about", () => {
    const e = exposure({ v4: 0n, v6: 0n, written: ["*"], kind: "any" });
    const deployed = nsgNoInternetRdp.ruleFinding({ ...e, nsg: { ref: REF, view: "deployed" } });
    expect(deployed.message).toMatch(/^NSG 'nsg-a' \(deployed state; the program's inputs differ\) rule 'wide'/);
    const declared = nsgNoInternetRdp.ruleFinding({ ...e, nsg: { ref: REF, view: "declared" } });
    expect(declared.message).toMatch(/^NSG 'nsg-a' \(declared in the program's inputs; the deployed state differs\)/);
  });
});

describe("RDPG003 problems", () => {
  it("say a missing field is missing instead of quoting 'undefined' or 'null'", () => {
    const [f] = scan([rule({ direction: undefined, priority: undefined, protocol: null, access: "  " })]);
    expect(f!.checkId).toBe(nsgRuleUnevaluable.id);
    expect(f!.message).toBe(
      "NSG 'nsg-test' rule 'rdp' cannot be evaluated: direction is missing; access is missing; priority is missing; " +
        "protocol is missing",
    );
    expect(f!.message).not.toMatch(/='(undefined|null|\s*)'/);
    expect(f!.problems!.map((p) => [p.field, p.value, p.missing])).toEqual([
      ["direction", "", true],
      ["access", "", true],
      ["priority", "", true],
      ["protocol", "", true],
    ]);
  });

  it("still quote a value that is present but wrong", () => {
    const [f] = scan([rule({ direction: "Sideways", priority: "high" })]);
    expect(f!.message).toContain("direction='Sideways': direction must be Inbound or Outbound");
    expect(f!.message).toContain("priority='high': priority must be an integer");
    expect(f!.problems!.every((p) => p.missing === undefined)).toBe(true);
  });
});

describe("RDPG004 wording follows the input's tool", () => {
  const unknownSource = (until?: NsgInput["unknownsUntil"]) => {
    const input = nsg([rule({ sourceAddressPrefix: unresolved("unknown", "output<string>") })]);
    return scanNsgs([{ ...input, unknownsUntil: until }], DEFAULT_CONFIG).findings;
  };

  it("Pulumi: checked at `pulumi up`", () => {
    const [f] = unknownSource();
    expect(f!.checkId).toBe(nsgRuleUnknownAtPreview.id);
    expect(f!.message).toMatch(/cannot be checked during preview \(.*\); it is checked at `pulumi up`$/);
    expect(f!.fix).toMatch(/`pulumi up` evaluates the rule/);
  });

  it("Terraform: scan the state after `terraform apply`", () => {
    const [f] = unknownSource("terraform-apply");
    expect(f!.message).toMatch(/cannot be checked in the plan \(.*\); its value is known only after `terraform apply`/);
    expect(f!.fix).toMatch(/^Scan `terraform show -json` of the state after `terraform apply`/);
    expect(f!.message + f!.fix).not.toContain("pulumi");
  });

  it("the check's help covers both tools", () => {
    expect(nsgRuleUnknownAtPreview.help).toContain("`pulumi up`");
    expect(nsgRuleUnknownAtPreview.help).toContain("`terraform apply`");
  });
});
