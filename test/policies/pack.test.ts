import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Diagnostic, PolicyPackProcess, ResourceSpec, UNKNOWN, nativeNsg, rdpRule, urnOf } from "../harness/analyzer";

const NATIVE_NSG = "azure-native:network:NetworkSecurityGroup";
const NATIVE_RULE = "azure-native:network:SecurityRule";
const CLASSIC_NSG = "azure:network/networkSecurityGroup:NetworkSecurityGroup";
const CLASSIC_RULE = "azure:network/networkSecurityRule:NetworkSecurityRule";

const byPolicy = (ds: Diagnostic[], name: string) => ds.filter((d) => d.policyName === name);

let pack: PolicyPackProcess;
beforeAll(async () => {
  pack = await PolicyPackProcess.start();
});
afterAll(async () => {
  await pack?.stop();
});
beforeEach(async () => {
  await pack.configure({});
});

describe("GetAnalyzerInfo", () => {
  it("describes the pack, its policies, levels and config schema", async () => {
    const info = await pack.info();
    expect(info.getName()).toBe("azure-rdp-guard");
    const policies = Object.fromEntries(info.getPoliciesList().map((p) => [p.getName(), p]));
    expect(Object.keys(policies).sort()).toEqual([
      "nsg-no-internet-rdp",
      "nsg-no-internet-rdp-standalone",
      "windows-vm-boot-diagnostics",
      "windows-vm-rdp-hardening",
    ]);
    expect(policies["nsg-no-internet-rdp"]!.getEnforcementlevel()).toBe(1); // MANDATORY
    expect(policies["windows-vm-boot-diagnostics"]!.getEnforcementlevel()).toBe(0); // ADVISORY
    const schema = policies["nsg-no-internet-rdp"]!.getConfigschema()!.getProperties()!.toJavaScript();
    expect(Object.keys(schema).sort()).toEqual([
      "exemptions",
      "failOnUnevaluable",
      "maxPublicSourceAddresses",
      "rdpPorts",
      "remediationSourcePrefixes",
      "trustedSourcePrefixes",
    ]);
  });
});

describe("nsg-no-internet-rdp (Analyze)", () => {
  it("blocks an azure-native NSG with RDP open to '*', naming the rule and the fix", async () => {
    const ds = byPolicy(await pack.analyze(nativeNsg([rdpRule()])), "nsg-no-internet-rdp");
    expect(ds).toHaveLength(1);
    expect(ds[0]!.enforcementLevel).toBe("mandatory");
    expect(ds[0]!.message).toContain("rule 'allow-rdp'");
    expect(ds[0]!.message).toContain("[RDPG001]");
    expect(ds[0]!.message).toContain("Bastion");
  });

  it("blocks a classic NSG exposing a port range from Internet", async () => {
    const ds = await pack.analyze({
      type: CLASSIC_NSG,
      name: "legacy",
      props: {
        name: "legacy",
        resourceGroupName: "rg",
        securityRules: [rdpRule({ sourceAddressPrefix: "Internet", destinationPortRange: "3000-4000" })],
      },
    });
    expect(byPolicy(ds, "nsg-no-internet-rdp").map((d) => d.enforcementLevel)).toEqual(["mandatory"]);
  });

  it("passes an NSG restricted to one admin IP, and one shadowed by a higher-priority Deny", async () => {
    expect(
      byPolicy(
        await pack.analyze(nativeNsg([rdpRule({ sourceAddressPrefix: "203.0.113.7/32" })])),
        "nsg-no-internet-rdp",
      ),
    ).toEqual([]);
    const deny = rdpRule({ name: "deny-internet-rdp", priority: 100, access: "Deny", sourceAddressPrefix: "Internet" });
    expect(byPolicy(await pack.analyze(nativeNsg([deny, rdpRule()])), "nsg-no-internet-rdp")).toEqual([]);
  });

  it("fails closed on a malformed port, and downgrades to advisory with failOnUnevaluable=false", async () => {
    const nsg = nativeNsg([rdpRule({ destinationPortRange: "33a89" })]);
    const closed = byPolicy(await pack.analyze(nsg), "nsg-no-internet-rdp");
    expect(closed.map((d) => d.enforcementLevel)).toEqual(["mandatory"]);
    expect(closed[0]!.message).toContain("destinationPortRange='33a89'");
    await pack.configure({ "nsg-no-internet-rdp": { failOnUnevaluable: false } });
    expect(byPolicy(await pack.analyze(nsg), "nsg-no-internet-rdp").map((d) => d.enforcementLevel)).toEqual([
      "advisory",
    ]);
  });

  it(
    "reports a source unknown during preview as advisory, " + "while a known exposure in the same NSG still blocks",
    async () => {
      const unknownOnly = byPolicy(
        await pack.analyze(nativeNsg([rdpRule({ sourceAddressPrefix: UNKNOWN })])),
        "nsg-no-internet-rdp",
      );
      expect(unknownOnly.map((d) => d.enforcementLevel)).toEqual(["advisory"]);
      expect(unknownOnly[0]!.message).toContain("[RDPG004]");
      const mixed = byPolicy(
        await pack.analyze(
          nativeNsg([rdpRule({ name: "computed", priority: 300, sourceAddressPrefix: UNKNOWN }), rdpRule()]),
        ),
        "nsg-no-internet-rdp",
      );
      expect(mixed.map((d) => d.enforcementLevel).sort()).toEqual(["advisory", "mandatory"]);
    },
  );

  it("a rule list that is entirely unknown during preview is advisory, not a pass and not a block", async () => {
    const ds = byPolicy(
      await pack.analyze({
        type: NATIVE_NSG,
        name: "computed",
        props: { resourceGroupName: "rg", securityRules: UNKNOWN },
      }),
      "nsg-no-internet-rdp",
    );
    expect(ds.map((d) => d.enforcementLevel)).toEqual(["advisory"]);
    expect(ds[0]!.message).toMatch(/\[RDPG004\].*cannot be checked during preview/);
  });

  it("uses configured RDP ports and trusted prefixes", async () => {
    const moved = nativeNsg([rdpRule({ destinationPortRange: "3390" })]);
    expect(byPolicy(await pack.analyze(moved), "nsg-no-internet-rdp")).toEqual([]);
    await pack.configure({ "nsg-no-internet-rdp": { rdpPorts: [3390] } });
    expect(byPolicy(await pack.analyze(moved), "nsg-no-internet-rdp")).toHaveLength(1);
    await pack.configure({ "nsg-no-internet-rdp": { trustedSourcePrefixes: ["198.51.100.0/22"] } });
    expect(
      byPolicy(
        await pack.analyze(nativeNsg([rdpRule({ sourceAddressPrefix: "198.51.100.0/22" })])),
        "nsg-no-internet-rdp",
      ),
    ).toEqual([]);
  });

  it("honours enforcement-level overrides", async () => {
    await pack.configure({ "nsg-no-internet-rdp": { enforcementLevel: "advisory" } });
    expect(
      byPolicy(await pack.analyze(nativeNsg([rdpRule()])), "nsg-no-internet-rdp").map((d) => d.enforcementLevel),
    ).toEqual(["advisory"]);
  });

  it("applies live exemptions and reports expired ones", async () => {
    const nsg = nativeNsg([rdpRule()]);
    await pack.configure({
      "nsg-no-internet-rdp": {
        exemptions: [{ resource: "web-nsg", reason: "vendor jump host until cut-over", expires: "2999-12-31" }],
      },
    });
    expect(byPolicy(await pack.analyze(nsg), "nsg-no-internet-rdp")).toEqual([]);
    await pack.configure({
      "nsg-no-internet-rdp": {
        exemptions: [{ resource: "web-nsg", reason: "vendor jump host until cut-over", expires: "2020-01-31" }],
      },
    });
    const ds = byPolicy(await pack.analyze(nsg), "nsg-no-internet-rdp");
    expect(ds.map((d) => `${d.enforcementLevel}:${d.message.match(/\[(RDPG\d+)\]/)![1]}`).sort()).toEqual([
      "advisory:RDPG005",
      "mandatory:RDPG001",
    ]);
  });

  it("rejects invalid config with a message naming the field, without a JS stack frame (issue 12.10)", async () => {
    await pack.configure({ "nsg-no-internet-rdp": { rdpPorts: [70000] } });
    const err = await pack.analyze(nativeNsg([rdpRule()])).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/rdpPorts\[0\]/);
    expect(err?.message).not.toMatch(/\n\s+at /);
  });

  it("does not judge a standalone rule alone (its NSG may hold a Deny)", async () => {
    const ds = await pack.analyze({
      type: NATIVE_RULE,
      name: "r",
      props: { ...rdpRule(), resourceGroupName: "rg-web", networkSecurityGroupName: "web-nsg" },
    });
    expect(byPolicy(ds, "nsg-no-internet-rdp")).toEqual([]);
  });
});

describe("nsg-no-internet-rdp-standalone (AnalyzeStack)", () => {
  const rule = (over: Record<string, unknown>, name = "open-rdp"): ResourceSpec => ({
    type: NATIVE_RULE,
    name,
    props: { ...rdpRule({ name }), resourceGroupName: "rg-web", networkSecurityGroupName: "web-nsg", ...over },
  });

  it("reports a standalone exposing rule on its own URN", async () => {
    const r = rule({});
    const ds = byPolicy(await pack.analyzeStack([nativeNsg([]), r]), "nsg-no-internet-rdp-standalone");
    expect(ds).toHaveLength(1);
    expect(ds[0]!.urn).toBe(urnOf(r));
    expect(ds[0]!.enforcementLevel).toBe("mandatory");
  });

  it("does not report a standalone rule shadowed by a Deny in another resource", async () => {
    const deny = rule({ access: "Deny", priority: 100, sourceAddressPrefix: "Internet" }, "deny-rdp");
    expect(
      byPolicy(await pack.analyzeStack([nativeNsg([]), deny, rule({})]), "nsg-no-internet-rdp-standalone"),
    ).toEqual([]);
    const inlineDeny = nativeNsg([rdpRule({ name: "deny-inline", priority: 100, access: "Deny" })]);
    expect(byPolicy(await pack.analyzeStack([inlineDeny, rule({})]), "nsg-no-internet-rdp-standalone")).toEqual([]);
  });

  it("groups standalone rules of NSGs whose names are unknown by the NSG they come from (issue 12.1)", async () => {
    const autoNamed = (name: string): ResourceSpec => ({
      type: NATIVE_NSG,
      name,
      props: { resourceGroupName: "rg-web" },
    });
    const nsgA = autoNamed("nsg-a");
    const nsgB = autoNamed("nsg-b");
    const standalone = (name: string, nsg: ResourceSpec, over: Record<string, unknown>, deps = true): ResourceSpec => ({
      type: NATIVE_RULE,
      name,
      props: { ...rdpRule({ name, ...over }), resourceGroupName: "rg-web", networkSecurityGroupName: UNKNOWN },
      propertyDependencies: deps ? { networkSecurityGroupName: [urnOf(nsg)] } : {},
    });
    // A Deny in NSG A must not hide an Allow in NSG B.
    const denyA = standalone("deny-a", nsgA, { access: "Deny", priority: 100 });
    const openB = standalone("open-b", nsgB, {});
    const ds = byPolicy(await pack.analyzeStack([nsgA, nsgB, denyA, openB]), "nsg-no-internet-rdp-standalone");
    expect(ds.filter((d) => d.enforcementLevel === "mandatory").map((d) => d.urn)).toEqual([urnOf(openB)]);
    // In the same NSG, the Deny still hides the Allow.
    const openA = standalone("open-a", nsgA, {});
    expect(byPolicy(await pack.analyzeStack([nsgA, denyA, openA]), "nsg-no-internet-rdp-standalone")).toEqual([]);
    // With no dependency to go by, each rule is judged alone: the Allow blocks, both get a note.
    const unlinked = [
      standalone("deny-a", nsgA, { access: "Deny", priority: 100 }, false),
      standalone("open-b", nsgB, {}, false),
    ];
    const lone = byPolicy(await pack.analyzeStack([nsgA, nsgB, ...unlinked]), "nsg-no-internet-rdp-standalone");
    const levels = lone.map((d) => `${d.enforcementLevel}:${d.message.match(/\[(RDPG\d+)\]/)![1]}`).sort();
    expect(levels).toEqual(["advisory:RDPG004", "advisory:RDPG004", "mandatory:RDPG001"]);
  });

  it("handles classic standalone rules", async () => {
    const classic: ResourceSpec = {
      type: CLASSIC_RULE,
      name: "c",
      props: {
        ...rdpRule({ name: "c", sourceAddressPrefix: "0.0.0.0/0" }),
        resourceGroupName: "rg",
        networkSecurityGroupName: "legacy",
      },
    };
    expect(byPolicy(await pack.analyzeStack([classic]), "nsg-no-internet-rdp-standalone")).toHaveLength(1);
  });
});

describe("remediation (Remediate)", () => {
  it("narrows an exposing inline rule's source to remediationSourcePrefixes, and the result passes", async () => {
    await pack.configure({
      "nsg-no-internet-rdp": { enforcementLevel: "remediate", remediationSourcePrefixes: ["203.0.113.7/32"] },
    });
    const other = {
      name: "https",
      priority: 300,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefix: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: "443",
    };
    const nsg = nativeNsg([rdpRule(), other]);
    const rem = await pack.remediate(nsg);
    const fixed = rem.find((r) => r.policyName === "nsg-no-internet-rdp")?.properties;
    expect(fixed).toBeDefined();
    const rules = fixed!.securityRules as Record<string, unknown>[];
    expect(rules[0]!.sourceAddressPrefix).toBe("203.0.113.7/32");
    expect(rules[1]).toEqual(other);
    expect(byPolicy(await pack.analyze({ ...nsg, props: fixed! }), "nsg-no-internet-rdp")).toEqual([]);
  });

  it("remediates a standalone rule that exposes RDP on its own, and leaves clean rules alone", async () => {
    await pack.configure({
      "nsg-no-internet-rdp": {
        enforcementLevel: "remediate",
        remediationSourcePrefixes: ["203.0.113.7", "198.51.100.9"],
      },
    });
    const rem = await pack.remediate({
      type: NATIVE_RULE,
      name: "r",
      props: { ...rdpRule(), resourceGroupName: "rg", networkSecurityGroupName: "n" },
    });
    const props = rem.find((r) => r.policyName === "nsg-no-internet-rdp")!.properties!;
    expect(props.sourceAddressPrefix).toBeUndefined();
    expect(props.sourceAddressPrefixes).toEqual(["203.0.113.7", "198.51.100.9"]);
    const clean = await pack.remediate({
      type: NATIVE_RULE,
      name: "r",
      props: {
        ...rdpRule({ sourceAddressPrefix: "10.0.0.0/8" }),
        resourceGroupName: "rg",
        networkSecurityGroupName: "n",
      },
    });
    expect(clean.filter((r) => r.policyName === "nsg-no-internet-rdp" && r.properties)).toEqual([]);
  });
});

describe("advisory VM policies", () => {
  const vm = (over: Record<string, unknown>): ResourceSpec => ({
    type: "azure-native:compute:VirtualMachine",
    name: "vm1",
    props: {
      vmName: "vm1",
      resourceGroupName: "rg",
      storageProfile: {
        imageReference: {
          publisher: "MicrosoftWindowsServer",
          offer: "WindowsServer",
          sku: "2022-datacenter-azure-edition",
          version: "latest",
        },
      },
      diagnosticsProfile: { bootDiagnostics: { enabled: false } },
      ...over,
    },
  });

  it("windows-vm-boot-diagnostics advises on Windows VMs without boot diagnostics only", async () => {
    const off = byPolicy(await pack.analyzeStack([vm({})]), "windows-vm-boot-diagnostics");
    expect(off.map((d) => d.enforcementLevel)).toEqual(["advisory"]);
    expect(off[0]!.urn).toBe(urnOf(vm({})));
    expect(
      byPolicy(
        await pack.analyzeStack([vm({ diagnosticsProfile: { bootDiagnostics: { enabled: true } } })]),
        "windows-vm-boot-diagnostics",
      ),
    ).toEqual([]);
    const linux = vm({
      storageProfile: {
        imageReference: { publisher: "Canonical", offer: "ubuntu-24_04-lts" },
        osDisk: { osType: "Linux" },
      },
    });
    expect(byPolicy(await pack.analyzeStack([linux]), "windows-vm-boot-diagnostics")).toEqual([]);
    const classic: ResourceSpec = {
      type: "azure:compute/windowsVirtualMachine:WindowsVirtualMachine",
      name: "c",
      props: { name: "c", resourceGroupName: "rg" },
    };
    expect(byPolicy(await pack.analyzeStack([classic]), "windows-vm-boot-diagnostics")).toHaveLength(1);
  });

  it("windows-vm-rdp-hardening advises until the VM has the RdpHardening component", async () => {
    const v = vm({});
    expect(byPolicy(await pack.analyzeStack([v]), "windows-vm-rdp-hardening").map((d) => d.urn)).toEqual([urnOf(v)]);
    const hardening: ResourceSpec = {
      type: "azure-rdp-guard:index:RdpHardening",
      name: "vm1-rdp",
      props: { vmName: "vm1" },
    };
    expect(byPolicy(await pack.analyzeStack([v, hardening]), "windows-vm-rdp-hardening")).toEqual([]);
  });
});
