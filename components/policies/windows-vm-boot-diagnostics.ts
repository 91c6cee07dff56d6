import { StackValidationPolicy } from "@pulumi/policy";
import * as checks from "../../src/checks";
import { windowsVmFromPulumi } from "../../src/formats/pulumi-resource";
import { proxyGet, reportFinding } from "./pulumi-props";

/**
 * windows-vm-boot-diagnostics (RDPG010, advisory): Serial Console, the runbook's way into a VM that
 * RDP cannot reach, needs boot diagnostics. A stack policy: it runs once per preview instead of
 * once per resource, so the per-resource Analyze path stays as cheap as possible.
 */
export const windowsVmBootDiagnostics: StackValidationPolicy = {
  name: checks.windowsVmBootDiagnostics.name,
  description: `${checks.windowsVmBootDiagnostics.title}. ${checks.windowsVmBootDiagnostics.rationale}`,
  enforcementLevel: "advisory",
  validateStack: (args, reportViolation) => {
    for (const r of args.resources) {
      const vm = windowsVmFromPulumi({ type: r.type, urn: r.urn, name: r.name, props: r.props }, proxyGet);
      if (vm && vm.bootDiagnostics === false) {
        const finding = checks.windowsVmBootDiagnostics.finding({ id: vm.urn, name: vm.name, type: vm.type });
        reportFinding(reportViolation, finding, vm.urn);
      }
    }
  },
};
