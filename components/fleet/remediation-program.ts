import * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/azure-native/provider";
import * as network from "@pulumi/azure-native/network";
import { RdpHardening } from "../rdp-hardening";
import { fixRules } from "../../src/fleet/plan";
import { DesiredState } from "../../src/fleet/desired-state";
import { CLOUDS } from "../../src/azure/clouds";

export interface RemediationResources {
  readonly hardening: RdpHardening[];
  readonly rules: network.SecurityRule[];
  readonly state: DesiredState;
}

/** Pulumi names must be unique and stable: subscription + resource group + name, lower case. */
function logicalName(prefix: string, sub: string, rg: string, name: string): string {
  return `${prefix}-${sub.slice(0, 8)}-${rg}-${name}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

/**
 * The fleet remediation program declares the cumulative desired state (src/fleet/desired-state.ts):
 * an RdpHardening in enforce mode per VM (runId = the plan that last asked, so only a new plan re-runs
 * the script), and each NSG fix's Deny (and trusted Allow) as standalone rules: the foreign rule stays
 * untouched, and a fix leaves the stack only through `remediate --remove`. An extension that already
 * exists is adopted with Pulumi `import` (since pulumi/pulumi#19339 an import whose inputs differ is
 * imported and then updated). One provider per subscription, in the state's cloud.
 */
export function remediationResources(state: DesiredState): RemediationResources {
  const environment = CLOUDS[state.cloud ?? "AzurePublicCloud"].pulumiEnvironment;
  const providers = new Map<string, Provider>();
  const provider = (sub: string): Provider => {
    let p = providers.get(sub);
    if (!p) providers.set(sub, (p = new Provider(`azure-${sub.slice(0, 8)}`, { subscriptionId: sub, environment })));
    return p;
  };
  const hardening: RdpHardening[] = [];
  for (const vm of state.vms) {
    const adopt = vm.adoptExtensionId;
    hardening.push(
      new RdpHardening(
        logicalName("rdp", vm.subscriptionId, vm.resourceGroup, vm.name),
        {
          resourceGroupName: vm.resourceGroup,
          vmName: vm.name,
          location: vm.location,
          mode: "enforce",
          runId: vm.runId,
          rdpPort: vm.rdpPort,
          extensionName: state.extensionName,
        },
        {
          providers: [provider(vm.subscriptionId)],
          ...(adopt
            ? {
                transformations: [
                  (a: pulumi.ResourceTransformationArgs) =>
                    a.type === "azure-native:compute:VirtualMachineExtension"
                      ? { props: a.props, opts: pulumi.mergeOptions(a.opts, { import: adopt }) }
                      : undefined,
                ],
              }
            : {}),
        },
      ),
    );
  }
  const rules: network.SecurityRule[] = [];
  for (const fix of state.nsgFixes) {
    for (const r of fixRules(fix)) {
      rules.push(
        new network.SecurityRule(
          logicalName(r.name, fix.subscriptionId, fix.resourceGroup, fix.nsgName),
          {
            resourceGroupName: fix.resourceGroup,
            networkSecurityGroupName: fix.nsgName,
            securityRuleName: r.name,
            priority: r.priority as number,
            direction: "Inbound",
            access: r.access as string,
            protocol: r.protocol as string,
            sourcePortRange: "*",
            ...(r.sourceAddressPrefix
              ? { sourceAddressPrefix: r.sourceAddressPrefix as string }
              : { sourceAddressPrefixes: r.sourceAddressPrefixes as string[] }),
            destinationAddressPrefix: "*",
            destinationPortRanges: r.destinationPortRanges as string[],
            description: `azure-rdp-guard: shadows ${fix.exposingRules.join(", ")}`,
          },
          { provider: provider(fix.subscriptionId) },
        ),
      );
    }
  }
  return { hardening, rules, state };
}

export function programOutputs(res: RemediationResources): Record<string, pulumi.Input<unknown>> {
  return {
    hardenedVms: res.hardening.map((h) => h.urn),
    addedRules: res.rules.map((r) => r.urn),
    /** The next run starts from this (see desired-state.ts). */
    desiredState: res.state,
  };
}
