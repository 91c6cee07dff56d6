import * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/azure-native/provider";
import * as network from "@pulumi/azure-native/network";
import { RdpHardening } from "../rdp-hardening";
import { RemediationPlan, fixRules } from "../../src/fleet/plan";

export interface RemediationResources {
  readonly hardening: RdpHardening[];
  readonly rules: network.SecurityRule[];
}

/** Pulumi names must be unique and stable: subscription + resource group + name, lower case. */
function logicalName(prefix: string, sub: string, rg: string, name: string): string {
  return `${prefix}-${sub.slice(0, 8)}-${rg}-${name}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");
}

/**
 * The fleet remediation program: for each VM the plan marks `online-rerun`, an RdpHardening in
 * enforce mode (the plan id is its runId, so a new plan re-runs the script); for each NSG fix, the
 * plan's Deny (and trusted Allow) as standalone rules: the foreign rule stays untouched and
 * `pulumi destroy` removes exactly what was added. One provider per subscription.
 */
export function remediationResources(plan: RemediationPlan, opts: { extensionName?: string } = {}): RemediationResources {
  const providers = new Map<string, Provider>();
  const provider = (sub: string): Provider => {
    let p = providers.get(sub);
    if (!p) providers.set(sub, (p = new Provider(`azure-${sub.slice(0, 8)}`, { subscriptionId: sub })));
    return p;
  };
  const hardening: RdpHardening[] = [];
  for (const vm of plan.vms) {
    if (vm.skipped || !vm.actions.includes("online-rerun")) continue;
    hardening.push(new RdpHardening(logicalName("rdp", vm.subscriptionId, vm.resourceGroup, vm.name), {
      resourceGroupName: vm.resourceGroup, vmName: vm.name, location: vm.location, mode: "enforce", runId: plan.id,
      rdpPort: plan.config.rdpPorts[0], extensionName: opts.extensionName,
    }, { providers: [provider(vm.subscriptionId)] }));
  }
  const rules: network.SecurityRule[] = [];
  for (const fix of plan.nsgFixes) {
    for (const r of fixRules(fix)) {
      rules.push(new network.SecurityRule(logicalName(r.name, fix.subscriptionId, fix.resourceGroup, fix.nsgName), {
        resourceGroupName: fix.resourceGroup,
        networkSecurityGroupName: fix.nsgName,
        securityRuleName: r.name,
        priority: r.priority as number,
        direction: "Inbound",
        access: r.access as string,
        protocol: r.protocol as string,
        sourcePortRange: "*",
        ...(r.sourceAddressPrefix ? { sourceAddressPrefix: r.sourceAddressPrefix as string } : { sourceAddressPrefixes: r.sourceAddressPrefixes as string[] }),
        destinationAddressPrefix: "*",
        destinationPortRanges: r.destinationPortRanges as string[],
        description: `azure-rdp-guard plan ${plan.id}: shadows ${fix.exposingRules.join(", ")}`,
      }, { provider: provider(fix.subscriptionId) }));
    }
  }
  return { hardening, rules };
}

export function programOutputs(res: RemediationResources): Record<string, pulumi.Input<unknown>> {
  return {
    hardenedVms: res.hardening.map((h) => h.urn),
    addedRules: res.rules.map((r) => r.urn),
  };
}
