import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { CMD_LINE_LIMIT, decodeHardeningCommand } from "../../src/baseline/encode";
import { renderHardeningScript, scriptSha256 } from "../../src/baseline/render-online";
import { packageVersion } from "../../src/version";
import type { RdpHardening as RdpHardeningType } from "../../components/rdp-hardening";

/*
 * Pulumi's own mock runtime: the component registers real resources against a mock engine, so the
 * resource graph, inputs, secrets and parent links are the ones `pulumi up` would send to Azure.
 */
interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];
let RdpHardening: typeof RdpHardeningType;

beforeAll(async () => {
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "rdp-guard-test",
    "dev",
    false,
  );
  ({ RdpHardening } = await import("../../components/rdp-hardening"));
});

const value = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply((v) => resolve(v)));

/** Mocks hand secret inputs over in Pulumi's wire form; unwrap it and say whether it was secret. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
function unwrapSecret(v: unknown): { secret: boolean; value: unknown } {
  if (
    typeof v === "object" &&
    v !== null &&
    (v as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === SECRET_SIG
  ) {
    return { secret: true, value: (v as { value: unknown }).value };
  }
  return { secret: false, value: v };
}
const commandOf = (inputs: Record<string, unknown>): string =>
  (unwrapSecret(inputs.protectedSettings).value as { commandToExecute: string }).commandToExecute;

describe("RdpHardening", () => {
  it("creates one CustomScript extension as a child, with the command only in protectedSettings", async () => {
    const c = new RdpHardening("web1", {
      resourceGroupName: "rg-web",
      vmName: "web-vm1",
      location: "westeurope",
      runId: "2026-11-26",
    });
    const [urn, name] = await Promise.all([value(c.extension!.urn), value(c.extensionName)]);
    expect(urn).toMatch(/azure-rdp-guard:index:RdpHardening\$azure-native:compute:VirtualMachineExtension::web1-cse$/);
    expect(name).toBe("azure-rdp-guard");

    const ext = registered.find((r) => r.name === "web1-cse")!;
    expect(ext.type).toBe("azure-native:compute:VirtualMachineExtension");
    expect(ext.inputs).toMatchObject({
      resourceGroupName: "rg-web",
      vmName: "web-vm1",
      vmExtensionName: "azure-rdp-guard",
      location: "westeurope",
      publisher: "Microsoft.Compute",
      type: "CustomScriptExtension",
      typeHandlerVersion: "1.10",
      autoUpgradeMinorVersion: true,
      forceUpdateTag: "2026-11-26",
    });
    expect(ext.inputs.settings).toBeUndefined();
    expect(JSON.stringify(ext.inputs)).not.toMatch(/"settings":\{[^}]*commandToExecute/);
    expect(await pulumi.isSecret(c.extension!.protectedSettings)).toBe(true);

    expect(unwrapSecret(ext.inputs.protectedSettings).secret).toBe(true);
    const command = commandOf(ext.inputs);
    expect(command.length).toBeLessThanOrEqual(CMD_LINE_LIMIT);
    const script = decodeHardeningCommand(command);
    expect(script).toContain("$Mode = 'enforce'");
    expect(await value(c.scriptSha256)).toBe(scriptSha256(script));
  });

  it("exports the effective baseline and passes options into the script", async () => {
    const c = new RdpHardening("web2", {
      resourceGroupName: "rg",
      vmName: "vm2",
      mode: "audit",
      rdpPort: 3390,
      legacyTls: true,
      allowReboot: true,
      extensionName: "existing-cse",
    });
    const [settings] = await Promise.all([value(c.settings), value(c.extension!.urn)]);
    expect(settings).toMatchObject({
      mode: "audit",
      allowReboot: true,
      rdpPort: 3390,
      legacyTls: true,
      securityLayer: "negotiate",
      certMinValidDays: 30,
    });
    const ext = registered.find((r) => r.name === "web2-cse")!;
    expect(ext.inputs.vmExtensionName).toBe("existing-cse");
    const script = decodeHardeningCommand(commandOf(ext.inputs));
    expect(script).toContain("$Mode = 'audit'");
    expect(script).toContain("$RdpPort = 3390");
    expect(script).toMatch(/,@\('tls10-server-enabled', '[^']*', 'Enabled', 'DWord'/);
  });

  it("rejects invalid options before anything is registered", () => {
    const before = registered.length;
    expect(() => new RdpHardening("bad", { resourceGroupName: "rg", vmName: "vm", rdpPort: 0 })).toThrow(/rdpPort/);
    expect(registered.filter((r) => r.name.startsWith("bad")).length).toBe(0);
    expect(registered.length).toBeGreaterThanOrEqual(before);
  });

  it(
    "delivery 'runCommand' deploys the plain, readable script as a managed Run Command, no encoded " + "command",
    async () => {
      const c = new RdpHardening("web3", {
        resourceGroupName: "rg",
        vmName: "vm3",
        delivery: "runCommand",
        runId: "r2",
        rdpPort: 3390,
      });
      const [sha] = await Promise.all([value(c.scriptSha256), value(c.runCommand!.urn)]);
      expect(c.extension).toBeUndefined();
      expect(registered.find((r) => r.name === "web3-cse")).toBeUndefined();
      const run = registered.find((r) => r.name === "web3-run")!;
      expect(run.type).toBe("azure-native:compute:VirtualMachineRunCommandByVirtualMachine");
      expect(run.inputs).toMatchObject({
        resourceGroupName: "rg",
        vmName: "vm3",
        runCommandName: "azure-rdp-guard",
        asyncExecution: false,
        treatFailureAsDeploymentFailure: true,
        tags: { "rdp-guard-run-id": "r2" },
      });
      const script = (run.inputs.source as { script: string }).script;
      // Plain text: what ASR's obfuscation rule and AMSI see is the script itself, comments included.
      const rendered = renderHardeningScript(
        { rdpPort: 3390 },
        { mode: "enforce", version: packageVersion(), readable: true },
      );
      // The run id leads as a comment, so a new runId changes the command and Azure runs it again.
      expect(script).toBe(`# rdp-guard run: r2\n${rendered}`);
      expect(script).toContain("#region seam");
      expect(script).not.toMatch(/EncodedCommand|-Enc |iex /);
      expect(sha).toBe(scriptSha256(rendered));
    },
  );

  it("rejects an unknown delivery, naming the field", () => {
    expect(
      () => new RdpHardening("bad2", { resourceGroupName: "rg", vmName: "vm", delivery: "blob" as "runCommand" }),
    ).toThrow(/delivery/);
  });
});
