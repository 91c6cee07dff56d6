import * as pulumi from "@pulumi/pulumi";
import * as compute from "@pulumi/azure-native/compute";
import { encodeHardeningCommand } from "../src/baseline/encode";
import { DEFAULT_HARDENING, HardeningOptions, ResolvedOptions, resolveOptions } from "../src/baseline/options";
import { renderHardeningScript, scriptSha256 } from "../src/baseline/render-online";
import { BaselineError } from "../src/errors";
import { packageVersion } from "../src/version";
import { Delivery, HardeningMode, SecurityLayer } from "./enums";
import { extensionNameOrDefault } from "../src/vm/extension-name";

export { Delivery, HardeningMode, SecurityLayer } from "./enums";

/**
 * Arguments of {@link RdpHardening}. Baseline options default to the secure values in `HardeningOptions`.
 * The types are shaped for Pulumi's schema inference (other languages): baseline options and the run
 * options are plain values (the script is rendered from them when the component is created), the
 * Azure identifiers are inputs.
 */
export interface RdpHardeningArgs extends HardeningOptions {
  /** Resource group of the VM. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** Name of the Windows VM to harden. */
  readonly vmName: pulumi.Input<string>;
  /** Azure region of the VM; the extension lives beside it. */
  readonly location?: pulumi.Input<string>;
  /** `SecurityLayer`: "negotiate" (1, the runbook's value, default) or "tls" (2, CIS/STIG). */
  readonly securityLayer?: SecurityLayer;
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
  /**
   * How the script reaches the VM. "customScript" (default): a CustomScript extension whose command
   * carries the script deflated and base64-encoded, expanded and run by `iex`. Defender ASR's rule
   * "Block execution of potentially obfuscated scripts" blocks exactly that; on such fleets use
   * "runCommand": a managed Run Command (Microsoft.Compute/virtualMachines/runCommands) that runs the
   * plain, commented script as a .ps1 file. No encoding and no 8,191-character limit; a new `runId`
   * re-runs it (it leads the script as a comment, so the command itself changes).
   */
  readonly delivery?: Delivery;
}

/**
 * The effective baseline plus how it runs, exported as the component's `settings` output. Every field
 * is declared here, not only inherited: schema inference cannot see through `Required<...>` and would
 * type inherited fields as Any.
 */
export interface RdpHardeningSettings extends ResolvedOptions {
  /** TLS 1.0 and 1.1 enabled as well. */
  readonly legacyTls: boolean;
  /** The RDP-Tcp `SecurityLayer`. */
  readonly securityLayer: SecurityLayer;
  /** Renewal threshold of the RDP certificate, in days. */
  readonly certMinValidDays: number;
  /** The port RDP listens on. */
  readonly rdpPort: number;
  /** A service holding the RDP port is stopped. */
  readonly stopConflictingService: boolean;
  /** Serial Console / EMS enabled. */
  readonly serialConsole: boolean;
  /** Complete memory dumps and NMI crash dumps configured. */
  readonly crashDump: boolean;
  /** MachineKeys ACLs reset when they lack the runbook's grants. */
  readonly machineKeysAcl: boolean;
  /** The self-signed RDP certificate renewed when missing, expiring or broken. */
  readonly renewCertificate: boolean;
  /** "enforce" or "audit". */
  readonly mode: HardeningMode;
  /** A reboot is scheduled when a change needs one. */
  readonly allowReboot: boolean;
}

/** The baseline fields of the args (the args also carry Azure identifiers and run options). */
function baselineOf(args: RdpHardeningArgs): HardeningOptions {
  const all = args as unknown as Record<string, unknown>;
  return Object.fromEntries(Object.keys(DEFAULT_HARDENING).map((k) => [k, all[k]]));
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
  // The child resources are kept off the instance's fields: schema inference would publish a field as
  // an output that is a reference to azure-native's schema, pinning every generated SDK to one
  // azure-native version.
  private static readonly extensions = new WeakMap<RdpHardening, compute.VirtualMachineExtension>();
  private static readonly runCommands = new WeakMap<RdpHardening, compute.VirtualMachineRunCommandByVirtualMachine>();
  /** The CustomScript extension, with delivery "customScript" (TypeScript only; others get `extensionName`). */
  public get extension(): compute.VirtualMachineExtension | undefined {
    return RdpHardening.extensions.get(this);
  }
  /** The managed Run Command, with delivery "runCommand" (TypeScript only). */
  public get runCommand(): compute.VirtualMachineRunCommandByVirtualMachine | undefined {
    return RdpHardening.runCommands.get(this);
  }

  constructor(name: string, args: RdpHardeningArgs, opts?: pulumi.ComponentResourceOptions) {
    super("azure-rdp-guard:index:RdpHardening", name, {}, opts);
    const baseline = resolveOptions(baselineOf(args));
    const mode = args.mode ?? "enforce";
    const allowReboot = args.allowReboot ?? false;
    const delivery = args.delivery ?? Delivery.CustomScript;
    if (!Object.values<string>(Delivery).includes(delivery)) {
      throw new BaselineError(`delivery: '${String(delivery)}' must be one of ${Object.values(Delivery).join(", ")}`);
    }
    const readable = delivery === Delivery.RunCommand;
    const script = renderHardeningScript(baseline, { mode, allowReboot, version: packageVersion(), readable });
    const extensionName = extensionNameOrDefault(args.extensionName);

    if (delivery === Delivery.RunCommand) {
      // The script exits 0 whenever it ran (findings are in its JSON) and 1 only when it could not
      // run: only the latter fails the deployment.
      RdpHardening.runCommands.set(
        this,
        new compute.VirtualMachineRunCommandByVirtualMachine(
          `${name}-run`,
          {
            resourceGroupName: args.resourceGroupName,
            vmName: args.vmName,
            runCommandName: extensionName,
            location: args.location,
            // A tag-only change is not documented to re-run a Run Command; a changed script is (it is a new
            // command), so the run id rides in a leading comment and a new runId runs the same baseline again.
            source: {
              script: args.runId === undefined ? script : pulumi.interpolate`# rdp-guard run: ${args.runId}\n${script}`,
            },
            asyncExecution: false,
            treatFailureAsDeploymentFailure: true,
            timeoutInSeconds: 1800,
            tags: args.runId === undefined ? undefined : { "rdp-guard-run-id": args.runId },
          },
          { parent: this },
        ),
      );
    } else
      RdpHardening.extensions.set(
        this,
        new compute.VirtualMachineExtension(
          `${name}-cse`,
          {
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
          },
          { parent: this, additionalSecretOutputs: ["protectedSettings"] },
        ),
      );

    this.extensionName = pulumi.output(extensionName);
    this.scriptSha256 = pulumi.output(scriptSha256(script));
    this.settings = pulumi.output({ ...baseline, mode, allowReboot });
    this.registerOutputs({
      extensionName: this.extensionName,
      scriptSha256: this.scriptSha256,
      settings: this.settings,
    });
  }
}
