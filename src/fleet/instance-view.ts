import { InstanceView } from "../azure/model";

export interface AgentState {
  readonly ready: boolean;
  readonly status: string;
}

export interface HardeningState {
  readonly present: boolean;
  /** Extension provisioning: succeeded, failed, transitioning, or "absent". */
  readonly provisioning: string;
  /** Settings the last run reported as not ok (`id=result`), from the script's summary line. */
  readonly notOk: readonly string[];
  readonly failed: number;
  readonly mode?: string;
  readonly rebootRequired?: boolean;
  /** Another CustomScript extension occupies the VM's only CustomScript slot. */
  readonly otherCustomScript?: string;
  readonly message?: string;
}

export function powerState(view: InstanceView | undefined, graphPowerState?: string): string {
  const code =
    view?.statuses?.find((s) => s.code?.startsWith("PowerState/"))?.code ?? graphPowerState ?? "PowerState/unknown";
  return code.replace(/^PowerState\//i, "").toLowerCase();
}

export function agentState(view: InstanceView): AgentState {
  const statuses = view.vmAgent?.statuses ?? [];
  const ready = statuses.some(
    (s) => (s.displayStatus ?? "").toLowerCase() === "ready" || /provisioningstate\/succeeded/i.test(s.code ?? ""),
  );
  return {
    ready,
    status:
      statuses
        .map((s) => s.displayStatus ?? s.code)
        .filter(Boolean)
        .join("; ") || "no VM agent status",
  };
}

/**
 * Reads the RdpHardening extension's last report from the instance view: the script prints a
 * one-line JSON summary last, which the CustomScript handler exposes as the StdOut substatus.
 */
export function hardeningState(view: InstanceView, extensionName: string): HardeningState {
  const exts = view.extensions ?? [];
  const ext = exts.find((e) => (e.name ?? "").toLowerCase() === extensionName.toLowerCase());
  const other = exts.find((e) => e !== ext && /customscriptextension/i.test(e.type ?? ""));
  if (!ext) return { present: false, provisioning: "absent", notOk: [], failed: 0, otherCustomScript: other?.name };
  const prov =
    (ext.statuses?.find((s) => /provisioningstate/i.test(s.code ?? ""))?.code ?? "").split("/")[1]?.toLowerCase() ??
    "unknown";
  const stdout = ext.substatuses?.find((s) => /stdout/i.test(s.code ?? ""))?.message ?? "";
  const last = stdout.trim().split(/\r?\n/).pop() ?? "";
  try {
    const summary = JSON.parse(last) as { notOk?: unknown; failed?: unknown; mode?: unknown; rebootRequired?: unknown };
    const notOk = Array.isArray(summary.notOk) ? summary.notOk.filter((x): x is string => typeof x === "string") : [];
    return {
      present: true,
      provisioning: prov,
      notOk,
      failed: typeof summary.failed === "number" ? summary.failed : 0,
      mode: typeof summary.mode === "string" ? summary.mode : undefined,
      rebootRequired: typeof summary.rebootRequired === "boolean" ? summary.rebootRequired : undefined,
    };
  } catch {
    const stderr = ext.substatuses?.find((s) => /stderr/i.test(s.code ?? ""))?.message;
    return {
      present: true,
      provisioning: prov,
      notOk: [],
      failed: prov === "failed" ? 1 : 0,
      message: stderr?.slice(-300) || "no report line in the extension output",
    };
  }
}
