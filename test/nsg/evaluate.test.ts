import { describe, expect, it } from "vitest";
import { ids, rule, scan } from "../helpers/nsg";
import { unresolved } from "../../src/nsg/rules";

describe("sources", () => {
  it.each([
    ["*"],
    ["Any"],
    ["any"],
    ["Internet"],
    ["internet"],
    ["INTERNET"],
    ["0.0.0.0/0"],
    ["0.0.0.0"],
    ["::/0"],
    [" Internet "],
    ["AzureCloud"],
    ["AzureCloud.WestEurope"],
  ])("source %j exposes RDP", (src) => {
    expect(ids(scan([rule({ sourceAddressPrefix: src })]))).toEqual(["RDPG001:rdp"]);
  });

  it.each([
    ["10.0.0.0/8"],
    ["172.16.5.0/24"],
    ["192.168.1.10"],
    ["100.64.0.0/10"],
    ["fc00::/7"],
    ["VirtualNetwork"],
    ["AzureLoadBalancer"],
    ["203.0.113.7"],
    ["203.0.113.7/32"],
    ["203.0.113.0/24"],
    ["2001:db8::1/128"],
  ])("source %j does not expose RDP", (src) => {
    expect(scan([rule({ sourceAddressPrefix: src })])).toEqual([]);
  });

  it("counts a public CIDR above maxPublicSourceAddresses as exposure, and honours the threshold", () => {
    expect(ids(scan([rule({ sourceAddressPrefix: "203.0.112.0/23" })]))).toEqual(["RDPG001:rdp"]);
    expect(scan([rule({ sourceAddressPrefix: "203.0.112.0/23" })], { maxPublicSourceAddresses: 512 })).toEqual([]);
  });

  it("sees a /0 split into two halves and /1 lists in sourceAddressPrefixes", () => {
    const f = scan([rule({ sourceAddressPrefix: undefined, sourceAddressPrefixes: ["0.0.0.0/1", "128.0.0.0/1"] })]);
    expect(ids(f)).toEqual(["RDPG001:rdp"]);
    expect(f[0]!.exposure!.publicAddresses).not.toBe("0");
  });

  it("sums exposure across rules of one NSG", () => {
    const rules = [0, 1, 2].map((i) =>
      rule({ name: `r${i}`, priority: 100 + i, sourceAddressPrefix: `198.51.${i}.0/24` }),
    );
    expect(ids(scan(rules))).toEqual(["RDPG001:r0", "RDPG001:r1", "RDPG001:r2"]);
    expect(scan(rules.slice(0, 1))).toEqual([]);
  });

  it("ignores trusted prefixes and trusted service tags", () => {
    expect(
      scan([rule({ sourceAddressPrefix: "198.51.100.0/22" })], { trustedSourcePrefixes: ["198.51.100.0/22"] }),
    ).toEqual([]);
    expect(
      scan([rule({ sourceAddressPrefix: "GatewayManager" })], { trustedSourcePrefixes: ["GatewayManager"] }),
    ).toEqual([]);
  });

  it("treats application security groups as internal sources", () => {
    expect(
      scan([
        rule({ sourceAddressPrefix: undefined, sourceApplicationSecurityGroups: ["/subscriptions/s/asg/admins"] }),
      ]),
    ).toEqual([]);
  });
});

describe("ports and protocols", () => {
  it.each([
    ["3389"],
    ["*"],
    ["3000-4000"],
    ["3389-3389"],
    ["22,3389"],
    ["3388-3390, 23000"],
    ["3300 - 3400"],
    ["22 3389"],
  ])("port %j covers RDP", (port) => {
    expect(ids(scan([rule({ destinationPortRange: port })]))).toEqual(["RDPG001:rdp"]);
  });

  it.each([["22"], ["3390-4000"], ["3388"]])("port %j does not cover RDP", (port) => {
    expect(scan([rule({ destinationPortRange: port })])).toEqual([]);
  });

  it("reads destinationPortRanges lists", () => {
    expect(ids(scan([rule({ destinationPortRange: undefined, destinationPortRanges: ["22", "3380-3390"] })]))).toEqual([
      "RDPG001:rdp",
    ]);
  });

  it("uses the configured RDP ports", () => {
    expect(scan([rule({ destinationPortRange: "3390" })])).toEqual([]);
    const f = scan([rule({ destinationPortRange: "3390" })], { rdpPorts: [3389, 3390] });
    expect(f[0]!.exposure!.ports).toEqual([3390]);
  });

  it.each([["Tcp"], ["TCP"], ["tcp"], ["*"], ["Any"]])("protocol %j is RDP over TCP", (proto) => {
    expect(ids(scan([rule({ protocol: proto })]))).toEqual(["RDPG001:rdp"]);
  });

  it("reports UDP-only exposure as a warning", () => {
    const f = scan([rule({ protocol: "Udp" })]);
    expect(ids(f)).toEqual(["RDPG002:rdp"]);
    expect(f[0]!.severity).toBe("warning");
  });

  it.each([["Icmp"], ["Esp"], ["Ah"]])("protocol %j does not carry RDP", (proto) => {
    expect(scan([rule({ protocol: proto })])).toEqual([]);
  });

  it("ignores outbound and deny rules as exposures", () => {
    expect(scan([rule({ direction: "Outbound" })])).toEqual([]);
    expect(scan([rule({ direction: "outbound" })])).toEqual([]);
    expect(scan([rule({ access: "Deny" })])).toEqual([]);
  });
});

describe("priority and shadowing", () => {
  const deny = (o: Parameters<typeof rule>[0] = {}) => rule({ name: "deny", access: "Deny", priority: 100, ...o });

  it("a higher-priority Deny covering the Allow hides it", () => {
    expect(scan([deny(), rule({ priority: 200 })])).toEqual([]);
    expect(scan([deny({ sourceAddressPrefix: "Internet" }), rule({ priority: 200 })])).toEqual([]);
  });

  it("a lower-priority Deny hides nothing", () => {
    expect(ids(scan([deny({ priority: 300 }), rule({ priority: 200 })]))).toEqual(["RDPG001:rdp"]);
  });

  it("a Deny on other ports hides nothing", () => {
    expect(ids(scan([deny({ destinationPortRange: "22" }), rule({ priority: 200 })]))).toEqual(["RDPG001:rdp"]);
  });

  it("a Deny for part of the sources hides only that part", () => {
    const f = scan([deny({ sourceAddressPrefix: "0.0.0.0/1" }), rule({ priority: 200 })]);
    expect(ids(f)).toEqual(["RDPG001:rdp"]);
    expect(f[0]!.exposure!.sources[0]).toBe("128.0.0.0/3");
    expect(f[0]!.exposure!.partiallyShadowedBy).toEqual(["deny"]);
  });

  it("a Deny for one destination hides only that destination", () => {
    const f = scan([deny({ destinationAddressPrefix: "10.0.0.4" }), rule({ priority: 200 })]);
    expect(ids(f)).toEqual(["RDPG001:rdp"]);
    expect(
      scan([
        deny({ destinationAddressPrefix: "10.0.0.0/24" }),
        rule({ priority: 200, destinationAddressPrefix: "10.0.0.4" }),
      ]),
    ).toEqual([]);
  });

  it("a UDP Deny does not hide TCP", () => {
    const f = scan([deny({ protocol: "Udp" }), rule({ priority: 200, protocol: "*" })]);
    expect(ids(f)).toEqual(["RDPG001:rdp"]);
  });

  it("an earlier Allow from an admin IP takes those flows; later Allow from Internet still exposes", () => {
    const f = scan([
      rule({ name: "admin", priority: 100, sourceAddressPrefix: "203.0.113.7" }),
      rule({ name: "open", priority: 200 }),
    ]);
    expect(ids(f)).toEqual(["RDPG001:open"]);
  });

  it("Azure's DenyAllInBound keeps an NSG with no custom rules closed", () => {
    expect(scan([])).toEqual([]);
  });
});

describe("unevaluable and unknown values fail closed", () => {
  it.each([
    ["destinationPortRange", "33a89"],
    ["priority", 99],
    ["priority", 5000],
    ["priority", "high"],
    ["protocol", "Gre"],
    ["sourceAddressPrefix", "SomeNewTag"],
    ["sourceAddressPrefix", "300.1.1.1"],
    ["access", "Permit"],
    ["direction", "Sideways"],
  ])("%s=%j is an unevaluable error", (field, value) => {
    const f = scan([rule({ [field]: value })]);
    expect(ids(f)).toEqual(["RDPG003:rdp"]);
    expect(f[0]!.severity).toBe("error");
    expect(f[0]!.message).toContain(field);
  });

  it("an ARM expression is unevaluable", () => {
    const f = scan([rule({ sourceAddressPrefix: unresolved("expression", "[parameters('src')]") })]);
    expect(ids(f)).toEqual(["RDPG003:rdp"]);
    expect(f[0]!.message).toContain("[parameters('src')]");
  });

  it("failOnUnevaluable=false makes it a warning", () => {
    expect(scan([rule({ destinationPortRange: "33a89" })], { failOnUnevaluable: false })[0]!.severity).toBe("warning");
  });

  it("a value unknown during preview is a note, not a block", () => {
    const f = scan([rule({ sourceAddressPrefix: unresolved("unknown", "<computed>") })]);
    expect(ids(f)).toEqual(["RDPG004:rdp"]);
    expect(f[0]!.severity).toBe("note");
  });

  it("an exposure behind a Deny with unknown values is deferred to pulumi up", () => {
    const f = scan([
      rule({ name: "deny", access: "Deny", priority: 100, sourceAddressPrefix: unresolved("unknown", "<computed>") }),
      rule({ priority: 200 }),
    ]);
    expect(ids(f)).toEqual(["RDPG004:deny", "RDPG004:rdp"]);
  });

  it("duplicate priorities are unevaluable", () => {
    expect(ids(scan([rule({ name: "a" }), rule({ name: "b", sourceAddressPrefix: "10.0.0.0/8" })]))).toContain(
      "RDPG003:a",
    );
  });
});

describe("exemptions", () => {
  it("hides a finding until it expires, then reports the expiry", () => {
    const ex = { resource: "nsg-test/rdp", reason: "migration ticket 42", expires: "2999-01-01" };
    const live = scan([rule()], { exemptions: [ex] });
    expect(live).toHaveLength(1);
    expect(live[0]!.suppressed?.reason).toBe("migration ticket 42");
    const expired = scan([rule()], { exemptions: [{ ...ex, expires: "2000-01-01" }] });
    expect(ids(expired)).toEqual(["RDPG001:rdp", "RDPG005:-"]);
    expect(expired.every((f) => !f.suppressed)).toBe(true);
  });
});
