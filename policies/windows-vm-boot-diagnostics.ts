import { ResourceValidationPolicy } from "@pulumi/policy";
import { bootDiagnostics } from "../src/checks";
import { windowsVmFromPulumi } from "../src/formats/pulumi-resource";
import { proxyGet } from "./pulumi-props";

/**
 * windows-vm-boot-diagnostics (RDPG010, advisory): Serial Console, the runbook's way into a VM that
 * RDP cannot reach, needs boot diagnostics.
 */
export const windowsVmBootDiagnostics: ResourceValidationPolicy = {
  name: bootDiagnostics.name,
  description: `${bootDiagnostics.title}. ${bootDiagnostics.rationale}`,
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    const vm = windowsVmFromPulumi({ type: args.type, urn: args.urn, name: args.name, props: args.props }, proxyGet);
    if (vm && vm.bootDiagnostics === false) {
      reportViolation(`[${bootDiagnostics.id}] Windows VM '${vm.name}' has boot diagnostics disabled, so Serial Console cannot be used to repair RDP.\nFix: ${bootDiagnostics.help}`);
    }
  },
};
