import { EnforcementLevel, ReportViolation } from "@pulumi/policy";
import { GuardConfig, loadConfig } from "../../src/config";
import { Finding } from "../../src/nsg/findings";
import { Getter } from "../../src/formats/fields";
import { isUnresolved, unresolved } from "../../src/nsg/rules";

/**
 * The policy host hands policies a proxy that throws `UnknownValueError` when a value is unknown
 * during preview. This getter turns that into an `Unresolved` value, so one unknown field makes one
 * rule "checked at pulumi up" instead of skipping the whole resource.
 */
export const proxyGet: Getter = (obj, key) => {
  try {
    return obj[key];
  } catch (e) {
    if (e instanceof Error && e.constructor.name === "UnknownValueError") {
      return unresolved("unknown", `<computed ${key}>`);
    }
    throw e;
  }
};

/**
 * A plain copy of proxied props, read once through `proxyGet` (unknowns become `Unresolved`).
 * Reading each property once is much cheaper than probing field aliases through the proxy.
 */
export function snapshot(value: unknown): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    const rec = value as unknown as Record<string, unknown>;
    for (let i = 0; i < value.length; i++) out.push(snapshot(proxyGet(rec, String(i))));
    return out;
  }
  if (typeof value === "object" && value !== null && !isUnresolved(value)) {
    const rec = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(rec)) out[k] = snapshot(proxyGet(rec, k));
    return out;
  }
  return value;
}

/**
 * Plain props for the engine. The host's proxy hands out its target under the key its own
 * serializer uses; the target holds the engine's unknown markers as plain strings, which
 * `plainGet` turns into `Unresolved`. This skips a proxy trap per property read, the larger part of
 * the policy's per-resource cost. Without that key, props are copied through the proxy.
 */
export function snapshotProps(props: Record<string, unknown>): Record<string, unknown> {
  const target = props["__getSpecialProxyTarget"];
  if (typeof target === "object" && target !== null) return target as Record<string, unknown>;
  return snapshot(props) as Record<string, unknown>;
}

/** The config a pack author passes in code (same fields as rdp-guard.json); policy config overrides it. */
export type PolicyConfigInput = Partial<GuardConfig>;

/**
 * Policy config, validated with the same schema and loader as the CLI's `--config`: the pack's
 * own config (`base`, from code) with the host's per-policy config (policy group, `--policy-pack-config`)
 * laid over it field by field.
 */
export function policyConfig(raw: unknown, policyName: string, base: PolicyConfigInput = {}): GuardConfig {
  const copy = raw && typeof raw === "object" ? { ...(raw as Record<string, unknown>) } : {};
  delete copy.enforcementLevel;
  return loadConfig({ ...base, ...copy }, `policy config '${policyName}'`);
}

interface ViolationWithLevel {
  readonly message: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly urn?: string;
}

/**
 * Reports a finding. Errors use the policy's configured enforcement level; warnings and notes are
 * advisory. @pulumi/policy's server accepts a violation object with its own enforcement level
 * (server.js makeReportViolationFun), though its typings only declare the string form.
 */
export function reportFinding(report: ReportViolation, f: Finding, urn?: string): void {
  if (f.suppressed) return;
  const message = `[${f.checkId}] ${f.message}\nFix: ${f.fix}`;
  if (f.severity === "error") {
    report(message, urn);
    return;
  }
  (report as unknown as (v: ViolationWithLevel) => void)({ message, enforcementLevel: "advisory", urn });
}
