import type { AuditDocument, VmAudit } from "../fleet/audit";
import type { RemediationPlan } from "../fleet/plan";

/** Why a VM has the states it has, in a few words each. */
function vmDetails(vm: VmAudit): string[] {
  const details: string[] = [];
  if (vm.exposure.exposed) {
    const via = vm.exposure.rules.map((r) => `${r.nsgName}/${r.rule}`).join(", ") || vm.exposure.reason;
    details.push(`exposed on ${vm.exposure.ports.join(",")} via ${via}`);
  }
  if (vm.status.includes("drifted")) {
    details.push(`drift: ${vm.hardening?.notOk.join(", ") || vm.hardening?.message || vm.hardening?.provisioning}`);
  }
  if (vm.status.includes("unreachable")) {
    details.push(vm.powerState !== "running" ? `power ${vm.powerState}` : `agent: ${vm.agent?.status}`);
  }
  if (vm.status.includes("unhardened")) {
    const other = vm.hardening?.otherCustomScript;
    details.push(other ? `no hardening (CustomScript slot used by ${other})` : "no hardening extension");
  }
  if (vm.unknown?.length) details.push(`unknown: ${vm.unknown.join("; ")}`);
  if (vm.locks.length > 0) details.push(`locked (${vm.locks.map((l) => l.level).join(",")})`);
  return details;
}

/** `rdp-guard audit` as text: one line per VM with its states and why, then the counts. */
export function renderAuditText(doc: AuditDocument): string {
  const lines = doc.vms.map((vm) => {
    const details = vmDetails(vm);
    const where = `${vm.resourceGroup}/${vm.subscriptionId}`;
    const status = vm.status.join(",").toUpperCase().padEnd(20);
    return `${status} ${vm.name}  ${where}${details.length ? `  ${details.join("; ")}` : ""}`;
  });
  const count = (s: string) => doc.vms.filter((v) => v.status.includes(s as never)).length;
  const counts = ["compliant", "drifted", "unhardened", "exposed", "unreachable", "unknown"].map(
    (s) => `${count(s)} ${s}`,
  );
  lines.push("", `${doc.vms.length} VM(s): ${counts.join(", ")}, ${count("not-windows")} not Windows`);
  return lines.join("\n") + "\n";
}

/** `rdp-guard plan` as text: one line per VM with its actions and why, then the counts. */
export function renderPlanText(plan: RemediationPlan): string {
  // BLOCKED: a fix the VM needs could not be planned (e.g. a ReadOnly lock on its NSG); `why` says why.
  const label = (v: RemediationPlan["vms"][number]): string =>
    v.skipped ? "SKIP" : [...v.actions, ...(v.blocked ? ["BLOCKED"] : [])].join("+") || "none";
  const lines = plan.vms.map((v) => `${label(v).padEnd(28)} ${v.name}  ${v.why.join(" | ")}`);
  const n = (a: string) => plan.vms.filter((v) => v.actions.includes(a as never)).length;
  const skipped = plan.vms.filter((v) => v.skipped).length;
  lines.push(
    "",
    `plan ${plan.id}: ${n("online-rerun")} online re-run(s), ${plan.nsgFixes.length} NSG fix(es), ` +
      `${n("offline-repair")} offline repair(s), ${skipped} skipped, ` +
      `${plan.vms.filter((v) => v.blocked).length} blocked`,
  );
  return lines.join("\n") + "\n";
}
