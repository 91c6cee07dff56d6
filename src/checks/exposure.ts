import type { Finding } from "../nsg/findings";
import { CheckDefinition, VmSubject, vmRef } from "./check";

/** A live VM's effective (NIC + subnet) exposure. */
export interface VmExposureEvent {
  readonly ports: readonly number[];
  readonly protocol: "TCP" | "UDP";
  readonly reason: string;
}

/** RDPG001/002 findings for a live VM, which differ only in protocol. */
export function vmExposureFinding(check: CheckDefinition, vm: VmSubject, e: VmExposureEvent): Finding {
  return {
    checkId: check.id,
    severity: check.severity,
    resource: vmRef(vm),
    reason: e.reason,
    message:
      `Windows VM '${vm.name}' is reachable on RDP port ${e.ports.join(", ")} over ${e.protocol} from the ` +
      `Internet: ${e.reason}`,
    fix: check.help,
  };
}
