import { StackValidationPolicy } from "@pulumi/policy";
import * as checks from "../../src/checks";
import { PulumiResource, hardenedVmNames, windowsVmFromPulumi } from "../../src/formats/pulumi-resource";
import { proxyGet, reportFinding } from "./pulumi-props";

/**
 * windows-vm-rdp-hardening (RDPG011, advisory): every Windows VM in the stack should carry the
 * RdpHardening component (or its extension), which keeps TLS, NLA, MachineKeys ACLs and the RDP
 * certificate in the state the runbook repairs by hand.
 */
export const windowsVmRdpHardening: StackValidationPolicy = {
  name: checks.windowsVmRdpHardening.name,
  description: `${checks.windowsVmRdpHardening.title}. ${checks.windowsVmRdpHardening.rationale}`,
  enforcementLevel: "advisory",
  validateStack: (args, reportViolation) => {
    const resources: PulumiResource[] = args.resources.map((r) => ({
      type: r.type,
      urn: r.urn,
      name: r.name,
      props: r.props,
    }));
    const hardened = hardenedVmNames(resources, proxyGet);
    for (const r of resources) {
      const vm = windowsVmFromPulumi(r, proxyGet);
      if (vm && !hardened.has(vm.name.toLowerCase())) {
        const finding = checks.windowsVmRdpHardening.finding({ id: vm.urn, name: vm.name, type: vm.type });
        reportFinding(reportViolation, finding, vm.urn);
      }
    }
  },
};
