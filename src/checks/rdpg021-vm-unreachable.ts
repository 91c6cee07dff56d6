import { CheckDefinition } from "./check";

/** RDPG021: the VM agent is not ready (or the VM is stopped), so online repair cannot reach it. */
export const vmUnreachable: CheckDefinition = {
  id: "RDPG021",
  name: "vm-unreachable",
  title: "Windows VM cannot be repaired online",
  severity: "error",
  rationale: "Without a ready VM agent no extension runs; the runbook's offline repair (rescue VM) is the way back.",
  help: "Run `rdp-guard plan` then `rdp-guard repair --plan <file> --yes` for the offline rescue-disk repair.",
};
