import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config";
import { readParametersFile } from "../../src/formats/arm";
import { detectFormat, parseDocument } from "../../src/formats/detect";
import { parseJsonText, resolveLocations } from "../../src/formats/json-source";
import { InputError } from "../../src/errors";
import { scanInputs } from "../../src/engine";
import { doc, example, fixture } from "../helpers/files";

const scanFile = (file: string, params?: Record<string, unknown>) => {
  const input = parseDocument(doc(file), { armParameters: params })!;
  return { input, findings: scanInputs([input], DEFAULT_CONFIG).findings };
};
const summary = (fs: { checkId: string; rule?: { name: string } }[]) =>
  fs.map((f) => `${f.checkId}:${f.rule?.name ?? "-"}`).sort();

describe("format detection", () => {
  it.each([
    ["hub-spoke.json", "arm"],
    ["app-tier.bicep.json", "arm"],
    ["terraform-plan.json", "terraform"],
    ["az-nsg-list.json", "az"],
    ["pulumi-stack.json", "pulumi-stack"],
  ])("%s is %s", (file, format) => {
    expect(detectFormat(doc(example(file)).value)).toBe(format);
  });
  it("pulumi preview --json is detected, and unknown JSON is not", () => {
    expect(detectFormat(doc(fixture("pulumi-preview.json")).value)).toBe("pulumi-preview");
    expect(detectFormat({ name: "x", version: "1.0.0" })).toBeUndefined();
  });
  it("a forced format that does not fit is an input error naming the file", () => {
    expect(() => parseDocument(doc(example("hub-spoke.json")), { format: "terraform" })).toThrow(
      /hub-spoke\.json: no recognizable terraform resources/,
    );
  });
});

describe("ARM and compiled Bicep", () => {
  it("resolves parameters, variables and concat(); the hub-spoke template is clean", () => {
    const { input, findings } = scanFile(example("hub-spoke.json"));
    expect(input.nsgs.map((n) => n.name).sort()).toEqual(["nsg-hub-mgmt", "nsg-spoke-app"]);
    expect(findings).toEqual([]);
  });

  it("joins a symbolic-name standalone rule (format('{0}/{1}')) to its NSG", () => {
    const { input, findings } = scanFile(example("app-tier.bicep.json"));
    expect(input.nsgs).toHaveLength(1);
    expect(input.nsgs[0]!.rules.map((r) => r.name).sort()).toEqual(["allow-lb-probe", "allow-ops-tools"]);
    expect(summary(findings)).toEqual(["RDPG001:allow-ops-tools"]);
  });

  it("joins a nested child rule and sees it shadowed by the NSG's Deny", () => {
    const { input, findings } = scanFile(example("shadowed-legacy.json"));
    expect(input.nsgs[0]!.rules.map((r) => r.name)).toContain("allow-rdp-partner");
    expect(findings).toEqual([]);
  });

  it(
    "reports unresolvable expressions and copy loops as unevaluable, " + "and evaluates nested inner-scope deployments",
    () => {
      const { findings } = scanFile(fixture("arm-expressions.json"));
      expect(summary(findings)).toEqual([
        "RDPG001:nested-rdp",
        "RDPG003:-",
        "RDPG003:rdp-from-param",
        "RDPG003:rdp-from-reference",
      ]);
      const param = findings.find((f) => f.rule?.name === "rdp-from-param")!;
      expect(param.message).toContain("[parameters('rdpSource')]");
    },
  );

  it("a parameters file resolves what the template leaves open", () => {
    const params = readParametersFile(doc(fixture("arm-expressions.parameters.json")));
    const { findings } = scanFile(fixture("arm-expressions.json"), params);
    expect(summary(findings)).toEqual(["RDPG001:nested-rdp", "RDPG003:-", "RDPG003:rdp-from-reference"]);
  });

  it("accepts comments (JSONC) and reports UDP-only exposure as a warning", () => {
    const { findings } = scanFile(fixture("arm-with-comments.json"));
    expect(findings.map((f) => `${f.checkId}:${f.severity}`)).toEqual(["RDPG002:warning"]);
  });

  it("flags the Windows VM without boot diagnostics or hardening", () => {
    const { findings } = scanFile(example("legacy-jumpbox.json"));
    expect(summary(findings)).toEqual(["RDPG001:RDP", "RDPG010:-", "RDPG011:-"]);
  });
});

describe("Terraform plan JSON", () => {
  it("reads inline security_rule blocks, standalone rules and child modules", () => {
    const { input, findings } = scanFile(example("terraform-plan.json"));
    expect(input.nsgs.map((n) => n.name).sort()).toEqual(["nsg-tf-mgmt", "nsg-tf-web"]);
    expect(
      input.nsgs
        .find((n) => n.name === "nsg-tf-web")!
        .rules.map((r) => r.name)
        .sort(),
    ).toEqual(["allow-https", "allow-rdp-anywhere"]);
    expect(summary(findings)).toEqual(["RDPG001:allow-rdp-anywhere"]);
  });

  it("treats values known only after apply as unknown, not clean", () => {
    const { findings } = scanFile(fixture("terraform-unknown.json"));
    expect(findings.map((f) => `${f.checkId}:${f.severity}`)).toEqual(["RDPG004:note"]);
  });
});

describe("az CLI export", () => {
  it("reads securityRules and defaultSecurityRules without double-counting Azure's defaults", () => {
    const { input, findings } = scanFile(example("az-nsg-list.json"));
    expect(input.nsgs).toHaveLength(2);
    expect(summary(findings)).toEqual(["RDPG001:RDP"]);
  });
  it("az network nsg show: prefix lists summed against the threshold, 0.0.0.0/0 found, defaults applied once", () => {
    const { input, findings } = scanFile(fixture("az-nsg-show.json"));
    expect(input.nsgs[0]!.rules.filter((r) => r.isDefault)).toHaveLength(3);
    // Two /24s (512 public addresses) exceed 256 on their own; the /0 rule is reported too.
    expect(summary(findings)).toEqual(["RDPG001:allow-rdp-anywhere-legacy", "RDPG001:allow-rdp-partners"]);
  });

  it("accepts a single `az network nsg show` object", () => {
    const list = doc(example("az-nsg-list.json")).value as unknown[];
    const one = parseDocument(parseJsonText("show.json", JSON.stringify(list[0])))!;
    expect(one.nsgs.map((n) => n.name)).toEqual(["nsg-prod-rdp"]);
  });
});

describe("Pulumi preview and stack export", () => {
  it(
    "preview: classic NSG + standalone rule; " + "UDP warning, computed source as note, split /1 halves as exposure",
    () => {
      const { findings } = scanFile(fixture("pulumi-preview.json"));
      expect(findings.map((f) => `${f.checkId}:${f.rule?.name ?? "-"}:${f.severity}`).sort()).toEqual(
        [
          "RDPG002:rdp-udp:warning",
          "RDPG004:rdp-computed:note",
          "RDPG001:rdp-ranges:error",
          // the classic WindowsVirtualMachine has no boot_diagnostics block (= disabled) and no hardening
          "RDPG010:-:note",
          "RDPG011:-:note",
        ].sort(),
      );
    },
  );

  it("stack export: a Bastion-style NSG is clean; the hardened VM with boot diagnostics has no hints", () => {
    const { input, findings } = scanFile(fixture("stack-export-azure-native.json"));
    expect(input.nsgs.map((n) => n.name)).toEqual(["bastion-nsg"]);
    expect(input.vms).toEqual([expect.objectContaining({ name: "app-vm", bootDiagnostics: true, hardened: true })]);
    expect(findings).toEqual([]);
  });

  it("stack export: a UDP Deny in another resource hides only UDP; the VM hints appear", () => {
    const { findings } = scanFile(example("pulumi-stack.json"));
    expect(summary(findings)).toEqual(["RDPG001:allow-rdp-ops", "RDPG010:-", "RDPG011:-"]);
  });
});

describe("classic @pulumi/azure stack export", () => {
  it("reads NetworkSecurityGroup securityRules and a standalone NetworkSecurityRule", () => {
    const urn = (t: string, n: string) => `urn:pulumi:dev::legacy::${t}::${n}`;
    const exportDoc = {
      version: 3,
      deployment: {
        resources: [
          {
            urn: urn("azure:network/networkSecurityGroup:NetworkSecurityGroup", "jump"),
            type: "azure:network/networkSecurityGroup:NetworkSecurityGroup",
            inputs: {
              name: "jump-nsg",
              resourceGroupName: "rg-legacy",
              securityRules: [
                {
                  name: "deny-all-rdp",
                  priority: 100,
                  direction: "Inbound",
                  access: "Deny",
                  protocol: "Tcp",
                  sourcePortRange: "*",
                  sourceAddressPrefix: "Internet",
                  destinationAddressPrefix: "*",
                  destinationPortRange: "3389",
                },
              ],
            },
          },
          {
            urn: urn("azure:network/networkSecurityRule:NetworkSecurityRule", "open"),
            type: "azure:network/networkSecurityRule:NetworkSecurityRule",
            inputs: {
              name: "open-rdp",
              networkSecurityGroupName: "jump-nsg",
              resourceGroupName: "rg-legacy",
              priority: 200,
              direction: "Inbound",
              access: "Allow",
              protocol: "*",
              sourcePortRange: "*",
              sourceAddressPrefix: "*",
              destinationAddressPrefix: "*",
              destinationPortRange: "3380-3390",
            },
          },
          {
            urn: urn("azure:network/networkSecurityRule:NetworkSecurityRule", "udp"),
            type: "azure:network/networkSecurityRule:NetworkSecurityRule",
            inputs: {
              name: "open-rdp-udp",
              networkSecurityGroupName: "other-nsg",
              resourceGroupName: "rg-legacy",
              priority: 300,
              direction: "Inbound",
              access: "Allow",
              protocol: "Udp",
              sourcePortRange: "*",
              sourceAddressPrefix: "Internet",
              destinationAddressPrefix: "*",
              destinationPortRange: "3389",
            },
          },
        ],
      },
    };
    const input = parseDocument(parseJsonText("classic.json", JSON.stringify(exportDoc)))!;
    expect(input.format).toBe("pulumi-stack");
    expect(input.nsgs.map((n) => `${n.name}:${n.rules.map((r) => r.name).join("+")}`).sort()).toEqual([
      "jump-nsg:deny-all-rdp+open-rdp",
      "other-nsg:open-rdp-udp",
    ]);
    const findings = scanInputs([input], DEFAULT_CONFIG).findings;
    // The inline Deny shadows the standalone Allow's TCP and the Internet part; only its non-Internet
    // share ('*' minus Internet = private space) remains, which is not exposure. UDP from '*' is exposed.
    expect(summary(findings)).toEqual(["RDPG002:open-rdp", "RDPG002:open-rdp-udp"]);
  });
});

describe("source positions", () => {
  it("resolves a finding's JSON path to the line of the rule object", () => {
    const d = doc(example("az-nsg-list.json"));
    const input = parseDocument(d)!;
    const finding = scanInputs([input], DEFAULT_CONFIG).findings[0]!;
    const loc = resolveLocations(d, [finding.location!]).get(finding.location!)!;
    const lines = d.text.split("\n");
    // The object starting at that line is the exposing rule.
    const objectText = lines.slice(loc.line! - 1, loc.line! + 20).join("\n");
    expect(lines[loc.line! - 1]!.trim()).toBe("{");
    expect(objectText).toMatch(/"name": "RDP"/);
  });

  it("invalid JSON names file, line and column", () => {
    expect(() => parseJsonText("bad.json", '{\n  "a": 1,\n  "b": }')).toThrow(InputError);
    expect(() => parseJsonText("bad.json", '{\n  "a": 1,\n  "b": }')).toThrow(/^bad\.json:3:8: invalid JSON/);
  });
});
