import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SdkFleetSource, staticTokenCredential } from "../../src/azure/sdk-source";
import { DEFAULT_CONFIG } from "../../src/config";
import { decodeHardeningCommand } from "../../src/baseline/encode";
import { auditFleet } from "../../src/fleet/audit";
import { RemediationPlan, buildPlan } from "../../src/fleet/plan";
import { nextDesiredState } from "../../src/fleet/desired-state";
import type * as ProgramModule from "../../components/fleet/remediation-program";
import { FakeArmServer } from "../harness/fake-arm";
import { SUB_A, SUB_B, scenarioFleet } from "../harness/fake-fleet";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider?: string;
  importId?: string;
}
const registered: Registered[] = [];
let program: typeof ProgramModule;
let plan: RemediationPlan;
let server: FakeArmServer;

beforeAll(async () => {
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          provider: args.provider,
          importId: args.id,
        });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "azure-rdp-guard",
    "remediation",
    false,
  );
  program = await import("../../components/fleet/remediation-program");
  server = await FakeArmServer.start(scenarioFleet());
  const audit = await auditFleet(
    new SdkFleetSource({ credential: staticTokenCredential("t"), endpoint: server.url, ca: server.ca }),
    { subscriptions: [SUB_A, SUB_B], managementGroups: [], resourceGroups: [], tags: [] },
    { config: { ...DEFAULT_CONFIG, trustedSourcePrefixes: ["198.51.100.0/24"] } },
  );
  plan = buildPlan(audit);
});
afterAll(async () => server?.stop());

describe("fleet remediation program (Pulumi mocks)", () => {
  it("creates resources only for planned online actions, one provider per subscription", async () => {
    const res = program.remediationResources(nextDesiredState(undefined, { plan }));
    await Promise.all([
      ...res.hardening.map((h) => new Promise((r) => h.urn.apply(r))),
      ...res.rules.map((x) => new Promise((r) => x.urn.apply(r))),
    ]);
    const hardened = registered
      .filter((r) => r.type === "azure-native:compute:VirtualMachineExtension")
      .map((r) => r.inputs.vmName);
    expect(hardened).toEqual(["vm-drift"]);
    const ext = registered.find((r) => r.type === "azure-native:compute:VirtualMachineExtension")!;
    expect(ext.inputs.forceUpdateTag).toBe(plan.id);
    // vm-drift already carries our extension: it is adopted with `import`, not created.
    expect(ext.importId).toBe(`${plan.vms.find((v) => v.name === "vm-drift")!.id}/extensions/azure-rdp-guard`);
    expect(ext.provider).toMatch(/pulumi:providers:azure-native::azure-00000000::/);
    const cmd = (ext.inputs.protectedSettings as { value?: { commandToExecute: string } }).value!.commandToExecute;
    expect(decodeHardeningCommand(cmd)).toContain("$Mode = 'enforce'");

    const rules = registered.filter((r) => r.type === "azure-native:network:SecurityRule");
    expect(rules.map((r) => r.inputs)).toEqual([
      expect.objectContaining({
        networkSecurityGroupName: "nsg-open",
        resourceGroupName: "rg-app",
        securityRuleName: "rdp-guard-deny-internet-rdp",
        priority: 299,
        access: "Deny",
        protocol: "*",
        sourceAddressPrefix: "Internet",
        destinationPortRanges: ["3389"],
      }),
      expect.objectContaining({
        networkSecurityGroupName: "nsg-open",
        securityRuleName: "rdp-guard-allow-trusted-rdp",
        priority: 298,
        access: "Allow",
        sourceAddressPrefixes: ["198.51.100.0/24"],
      }),
    ]);
    expect(registered.filter((r) => r.type === "pulumi:providers:azure-native").map((r) => r.inputs)).toEqual([
      expect.objectContaining({ subscriptionId: SUB_A, environment: "public" }),
    ]);
    // Skipped VMs (Linux, locked, stopped) get nothing.
    expect(JSON.stringify(registered)).not.toMatch(/vm-linux|vm-locked|vm-stopped/);
  });
});
