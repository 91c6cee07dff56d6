import { afterEach, describe, expect, it } from "vitest";
import { SdkFleetSource, staticTokenCredential } from "../../src/azure/sdk-source";
import { DEFAULT_CONFIG, GuardConfig } from "../../src/config";
import { auditFleet } from "../../src/fleet/audit";
import { DesiredState, nextDesiredState, parseDesiredState } from "../../src/fleet/desired-state";
import { RemediationPlan, buildPlan } from "../../src/fleet/plan";
import { FakeArmServer } from "../harness/fake-arm";
import type { FakeFleet } from "../harness/fake-arm";
import { FleetBuilder, SUB_A } from "../harness/fake-fleet";

let server: FakeArmServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const open = (name: string, priority = 300) => ({
  name,
  priority,
  access: "Allow",
  sourceAddressPrefix: "*",
  destinationPortRange: "3389",
});
const deny = {
  name: "rdp-guard-deny-internet-rdp",
  priority: 299,
  access: "Deny",
  sourceAddressPrefix: "Internet",
  destinationPortRange: "3389",
  protocol: "*",
};

/** Audit + plan through the fake, as `rdp-guard plan` does. */
async function planOf(fleet: FakeFleet, now: Date, config: GuardConfig = DEFAULT_CONFIG): Promise<RemediationPlan> {
  server = await FakeArmServer.start(fleet);
  try {
    const audit = await auditFleet(
      new SdkFleetSource({ credential: staticTokenCredential("t"), endpoint: server.url, ca: server.ca }),
      { subscriptions: [SUB_A], managementGroups: [], resourceGroups: [], tags: [] },
      { config, now: () => now },
    );
    return buildPlan(audit, { now });
  } finally {
    await server.stop();
    server = undefined;
  }
}

/** A fleet at step `n` of its life: NSGs fixed by earlier runs carry our Deny, new exposures appear. */
function fleetAt(step: 1 | 2 | 3): FakeFleet {
  const f = new FleetBuilder();
  const nsgs = ["nsg-1", "nsg-2", "nsg-3"].map((n, i) =>
    f.nsg(SUB_A, "rg", n, i + 1 < step ? [open("open-rdp"), deny] : i + 1 === step ? [open("open-rdp")] : []),
  );
  const subnets = f.vnet(
    SUB_A,
    "rg",
    "vnet",
    nsgs.map((id, i) => ({ name: `s${i + 1}`, nsgId: id })),
  );
  f.vm({
    sub: SUB_A,
    rg: "rg",
    name: "vm-1",
    subnetId: subnets.get("s1")!,
    publicIp: true,
    hardening: step === 1 || step === 3 ? { notOk: ["nla=drift"] } : {},
  });
  f.vm({
    sub: SUB_A,
    rg: "rg",
    name: "vm-2",
    subnetId: subnets.get("s2")!,
    publicIp: true,
    hardening: step === 2 ? null : {},
  });
  f.vm({ sub: SUB_A, rg: "rg", name: "vm-3", subnetId: subnets.get("s3")!, publicIp: true, hardening: {} });
  return f.build();
}

describe("cumulative remediation state (issue 11 defect 4)", () => {
  it("three plans in a row: each adds its fixes and none undoes an earlier one", async () => {
    const p1 = await planOf(fleetAt(1), new Date("2026-11-26T10:00:00Z"));
    const p2 = await planOf(fleetAt(2), new Date("2026-11-26T11:00:00Z"));
    const p3 = await planOf(fleetAt(3), new Date("2026-11-26T12:00:00Z"));
    // Each plan on its own holds only what that audit found.
    expect(p1.nsgFixes.map((f) => f.nsgName)).toEqual(["nsg-1"]);
    expect(p2.nsgFixes.map((f) => f.nsgName)).toEqual(["nsg-2"]);
    expect(p3.nsgFixes.map((f) => f.nsgName)).toEqual(["nsg-3"]);

    const s1 = nextDesiredState(undefined, { plan: p1 });
    const s2 = nextDesiredState(parseDesiredState(JSON.parse(JSON.stringify(s1)), "stack output"), { plan: p2 });
    const s3 = nextDesiredState(parseDesiredState(JSON.parse(JSON.stringify(s2)), "stack output"), { plan: p3 });
    expect(s1.nsgFixes.map((f) => f.nsgName)).toEqual(["nsg-1"]);
    expect(s2.nsgFixes.map((f) => f.nsgName)).toEqual(["nsg-1", "nsg-2"]);
    expect(s3.nsgFixes.map((f) => f.nsgName)).toEqual(["nsg-1", "nsg-2", "nsg-3"]);
    const runs = (s: DesiredState) => Object.fromEntries(s.vms.map((v) => [v.name, v.runId]));
    expect(runs(s1)).toEqual({ "vm-1": p1.id });
    expect(runs(s2)).toEqual({ "vm-1": p1.id, "vm-2": p2.id });
    // vm-1 drifted again: a new run; vm-2 keeps its run (no re-run of an unchanged VM).
    expect(runs(s3)).toEqual({ "vm-1": p3.id, "vm-2": p2.id });
    // vm-1 carried our extension when it entered the state: adopted once, kept on later runs.
    expect(s3.vms.find((v) => v.name === "vm-1")!.adoptExtensionId).toMatch(
      /virtualMachines\/vm-1\/extensions\/azure-rdp-guard$/,
    );
    expect(s3.vms.find((v) => v.name === "vm-2")!.adoptExtensionId).toBeUndefined();
    expect(s3.history).toHaveLength(6);
  });

  it("a fix leaves only through an explicit removal, and an unknown id is an error", async () => {
    const p1 = await planOf(fleetAt(1), new Date("2026-11-26T10:00:00Z"));
    const s1 = nextDesiredState(undefined, { plan: p1 });
    const nsgId = s1.nsgFixes[0]!.nsgId;
    const s2 = nextDesiredState(s1, { remove: [nsgId.toUpperCase()] });
    expect(s2.nsgFixes).toEqual([]);
    expect(s2.vms.map((v) => v.name)).toEqual(["vm-1"]);
    expect(s2.history.at(-1)).toMatch(/removed on request: /);
    expect(() =>
      nextDesiredState(s1, {
        remove: ["/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/typo"],
      }),
    ).toThrow(/--remove .*typo: no VM or NSG with this id in the remediation state/);
  });

  it(
    "refuses an edited plan: Internet-wide trusted prefixes, " + "ids that disagree with names, another cloud",
    async () => {
      const p1 = await planOf(fleetAt(1), new Date("2026-11-26T10:00:00Z"));
      const fix = p1.nsgFixes[0]!;
      for (const prefixes of [["*"], ["0.0.0.0/0"], ["Internet"], ["::/0"]]) {
        const edited = { ...p1, nsgFixes: [{ ...fix, allowPriority: 298, trustedPrefixes: prefixes }] };
        expect(() => nextDesiredState(undefined, { plan: edited })).toThrow(/would let the Internet reach RDP/);
      }
      const narrow = { ...p1, nsgFixes: [{ ...fix, allowPriority: 298, trustedPrefixes: ["198.51.100.0/24"] }] };
      expect(nextDesiredState(undefined, { plan: narrow }).nsgFixes[0]!.trustedPrefixes).toEqual(["198.51.100.0/24"]);
      const renamed = { ...p1, vms: p1.vms.map((v) => (v.name === "vm-1" ? { ...v, name: "vm-other" } : v)) };
      expect(() => nextDesiredState(undefined, { plan: renamed })).toThrow(/VM id .*vm-1 does not match its name/);
      const gov = nextDesiredState(undefined, { plan: { ...p1, cloud: "AzureUSGovernment" } });
      expect(() => nextDesiredState(gov, { plan: { ...p1, cloud: "AzureChinaCloud" } })).toThrow(/one stack per cloud/);
      expect(() => parseDesiredState({ kind: "something-else" }, "out.json")).toThrow(
        /out\.json: not an rdp-guard remediation state/,
      );
    },
  );

  it("plan refuses an Internet-wide trusted prefix (run through the engine)", async () => {
    const p = await planOf(fleetAt(1), new Date("2026-11-26T10:00:00Z"), {
      ...DEFAULT_CONFIG,
      trustedSourcePrefixes: ["0.0.0.0/1"],
    });
    expect(p.nsgFixes).toEqual([]);
    expect(p.vms.find((v) => v.name === "vm-1")!.why.join()).toMatch(
      /nsg-fix not possible: .*0\.0\.0\.0\/1 would let the Internet reach RDP/,
    );
  });
});
