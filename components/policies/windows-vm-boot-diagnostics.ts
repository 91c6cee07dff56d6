import { StackValidationPolicy } from "@pulumi/policy";
import { bootDiagnostics } from "../../src/checks";
import { windowsVmFromPulumi } from "../../src/formats/pulumi-resource";
import { proxyGet } from "./pulumi-props";

/**
 * windows-vm-boot-diagnostics (RDPG010, advisory): Serial Console, the runbook's way into a VM that
 * RDP cannot reach, needs boot diagnostics. A stack policy: it runs once per preview instead of
 * once per resource, so the per-resource Analyze path stays as cheap as possible.
 */
export const windowsVmBootDiagnostics: StackValidationPolicy = {
  name: bootDiagnostics.name,
  description: `${bootDiagnostics.title}. ${bootDiagnostics.rationale}`,
  enforcementLevel: "advisory",
  validateStack: (args, reportViolation) => {
    for (const r of args.resources) {
      const vm = windowsVmFromPulumi({ type: r.type, urn: r.urn, name: r.name, props: r.props }, proxyGet);
      if (vm && vm.bootDiagnostics === false) {
        reportViolation(`[${bootDiagnostics.id}] Windows VM '${vm.name}' has boot diagnostics disabled, so Serial Console cannot be used to repair RDP.\nFix: ${bootDiagnostics.help}`, vm.urn);
      }
    }
  },
};
