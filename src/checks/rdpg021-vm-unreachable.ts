import type { Finding } from "../nsg/findings";
import { CheckUnit, VmSubject, vmRef } from "./check";

/** RDPG021: the VM agent is not ready (or the VM is stopped), so online repair cannot reach it. */
export const vmUnreachable = {
  id: "RDPG021",
  name: "vm-unreachable",
  title: "Windows VM cannot be repaired online",
  severity: "error",
  rationale: "Without a ready VM agent no extension runs; the runbook's offline repair (rescue VM) is the way back.",
  help: "Run `rdp-guard plan` then `rdp-guard repair --plan <file> --yes` for the offline rescue-disk repair.",
  securitySeverity: "7.5",

  /** `why`: the power state or the agent status that rules out online repair. */
  finding(vm: VmSubject, why: string): Finding {
    return {
      checkId: vmUnreachable.id,
      severity: vmUnreachable.severity,
      resource: vmRef(vm),
      reason: why,
      message: `Windows VM '${vm.name}' cannot be repaired online: ${why}`,
      fix: vmUnreachable.help,
    };
  },
} as const satisfies CheckUnit;
