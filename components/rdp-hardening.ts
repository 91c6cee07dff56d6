import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import { encodeHardeningCommand } from "../src/baseline/encode";
import { HardeningOptions, ResolvedOptions, resolveOptions } from "../src/baseline/options";
import { HardeningMode, renderHardeningScript, scriptSha256 } from "../src/baseline/render-online";
import { packageVersion } from "../src/cli/version";

/** Arguments of {@link RdpHardening}. Baseline options default to the secure values in `HardeningOptions`. */
export interface RdpHardeningArgs extends HardeningOptions {
  /** Resource group of the VM. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Name of the Windows VM to harden. */
  readonly vmName: pulumi.Input<string>;
  /** Azure region of the VM; the extension lives beside it. */
  readonly location?: pulumi.Input<string>;
  /** "enforce" (default) changes what drifted; "audit" only reports. */
  readonly mode?: HardeningMode;
  /** Schedule a reboot when a change needs one (default false). */
  readonly allowReboot?: boolean;
  /** Change it to run the script again with the same settings (maps to the extension's forceUpdateTag). */
  readonly runId?: pulumi.Input<string>;
  /**
   * Name of the CustomScript extension (default "azure-rdp-guard"). Azure allows one CustomScript
   * extension per VM: if the VM already has one, use its name here (this component then owns it)
   * or remove the other first.
   */
  readonly extensionName?: string;
}

/** The effective baseline plus how it runs, exported as the component's `settings` output. */
export interface RdpHardeningSettings extends ResolvedOptions {
  readonly mode: HardeningMode;
  readonly allowReboot: boolean;
}

/**
 * Enforces (or audits) the RDP baseline of Microsoft's "internal error" runbook on one Windows VM
 * through a CustomScript extension: TLS, NLA, MachineKeys ACLs, the RDP certificate, port and
 * firewall, serial console and crash dumps. The script is idempotent and reports as JSON; the
 * command carrying it is a secret in `protectedSettings`.
 */
export class RdpHardening extends pulumi.ComponentResource {
  /** Azure name of the CustomScript extension. */
  public readonly extensionName: pulumi.Output<string>;
  /** SHA-256 of the script the extension runs (changes whenever the baseline does). */
  public readonly scriptSha256: pulumi.Output<string>;
  /** The effective baseline. */
  public readonly settings: pulumi.Output<RdpHardeningSettings>;
  /** The extension resource itself. */
  public readonly extension: compute.VirtualMachineExtension;

  constructor(name: string, args: RdpHardeningArgs, opts?: pulumi.ComponentResourceOptions) {
    super("azure-rdp-guard:index:RdpHardening", name, {}, opts);
    const baseline = resolveOptions(args);
    const mode = args.mode ?? "enforce";
    const allowReboot = args.allowReboot ?? false;
    const script = renderHardeningScript(baseline, { mode, allowReboot, version: packageVersion() });
    const extensionName = args.extensionName ?? "azure-rdp-guard";

    this.extension = new compute.VirtualMachineExtension(`${name}-cse`, {
      resourceGroupName: args.resourceGroupName,
      vmName: args.vmName,
      vmExtensionName: extensionName,
      location: args.location,
      publisher: "Microsoft.Compute",
      type: "CustomScriptExtension",
      typeHandlerVersion: "1.10",
      autoUpgradeMinorVersion: true,
      forceUpdateTag: args.runId,
      // The command embeds the whole script: protected settings are encrypted on the VM and never
      // shown by the API; the secret keeps it out of Pulumi state and logs too.
      protectedSettings: pulumi.secret({ commandToExecute: encodeHardeningCommand(script) }),
    }, { parent: this, additionalSecretOutputs: ["protectedSettings"] });

    this.extensionName = pulumi.output(extensionName);
    this.scriptSha256 = pulumi.output(scriptSha256(script));
    this.settings = pulumi.output({ ...baseline, mode, allowReboot });
    this.registerOutputs({ extensionName: this.extensionName, scriptSha256: this.scriptSha256, settings: this.settings });
  }
}
