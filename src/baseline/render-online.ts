import { createHash } from "node:crypto";
import { HardeningOptions, resolveOptions } from "./options";
import {
  EMS_CHECKS,
  ICACLS_RIGHTS_MASK,
  MACHINE_KEYS_GRANTS,
  MACHINE_KEYS_TOKENS,
  POLICY_OVERRIDES,
  TLS12_SERVER_KEY,
  actionSteps,
  emsBcdCommands,
  observedSettings,
  registrySettings,
} from "./settings";
import { psValue, psq } from "./powershell";
import { compactScript, fillSettings, readTemplate } from "./template";

export type HardeningMode = "enforce" | "audit";

export interface RenderOptions {
  readonly mode: HardeningMode;
  /** Schedule a reboot when a change needs one (default false: the report says rebootRequired). */
  readonly allowReboot?: boolean;
  /** Tool version written into the report. */
  readonly version?: string;
  /**
   * Keep comments and indentation (default false). The compact form fits the CustomScript command line;
   * the readable form is for deliveries without that limit (managed Run Command).
   */
  readonly readable?: boolean;
}

/** Where the script keeps its report and backups on the VM. */
export const VM_ROOT = "C:\\ProgramData\\azure-rdp-guard";

/** RegistryValueKind names, as New-ItemProperty and GetValueKind spell them. */
const PS_KIND = { REG_DWORD: "DWord", REG_SZ: "String", REG_EXPAND_SZ: "ExpandString" } as const;
const RDP_FLAG = { none: 0, health: 1, "restart-termservice": 2 } as const;

type PsLiteral = string | number | boolean | undefined | null | readonly PsLiteral[];

function ps(v: PsLiteral): string {
  return Array.isArray(v)
    ? `@(${(v as readonly PsLiteral[]).map(ps).join(", ")})`
    : psValue(v as string | number | boolean | undefined | null);
}

/** `$Name = @(...)` with one row per line; the leading comma keeps a single row an array of arrays. */
function rows(name: string, items: readonly (readonly PsLiteral[])[]): string {
  return [`$${name} = @(`, ...items.map((r) => `,${ps(r)}`), ")"].join("\n");
}

/**
 * Renders the runbook's online steps as one idempotent PowerShell 5.1 script: the template
 * `scripts/online.ps1` with its settings region filled from the runbook data in `settings.ts`. Each
 * step reads the current state, compares it with the baseline and changes only what differs (enforce
 * mode), after backing up what it touches; audit mode only reports. After a change RDP depends on,
 * the script checks RDP health and rolls its changes back when RDP would not work. The last stdout
 * line is a one-line JSON summary; the full report goes to C:\ProgramData\azure-rdp-guard\report.json.
 * Exit code 0 whenever the script ran (findings and failed steps are in the JSON), 1 only when it
 * could not run at all.
 */
export function renderHardeningScript(options: HardeningOptions, render: RenderOptions): string {
  const o = resolveOptions(options);
  if (render.mode !== "enforce" && render.mode !== "audit")
    throw new Error(`mode: '${String(render.mode)}' must be 'enforce' or 'audit'`);
  const steps = new Map(actionSteps(o).map((s) => [s.id, s.enabled]));
  const expectedFor: Record<string, number | undefined> = {
    "nla-user-authentication": 1,
    "nla-security-layer": o.securityLayer === "tls" ? 2 : 1,
  };
  const policyExpected = (name: string, overrides?: string): number | undefined =>
    name === "fDenyTSConnections" ? 0 : overrides ? expectedFor[overrides] : undefined;

  const config = [
    `$Mode = ${psq(render.mode)}`,
    `$AllowReboot = ${psValue(render.allowReboot ?? false)}`,
    `$RdpPort = ${o.rdpPort}`,
    `$CertMinValidDays = ${o.certMinValidDays}`,
    `$StopConflictingService = ${psValue(o.stopConflictingService)}`,
    `$RenewCertificate = ${psValue(steps.get("rdp-certificate"))}`,
    `$Version = ${psq(render.version ?? "0.0.0")}`,
    `$RootPath = ${psq(VM_ROOT)}`,
    `$Tls12Key = ${psq(TLS12_SERVER_KEY)}`,
    rows(
      "Registry",
      registrySettings(o).map((s) => [
        s.id,
        s.key,
        s.name,
        PS_KIND[s.type],
        s.value,
        s.reboot ? 1 : 0,
        s.minBuild ?? 0,
        s.absentIsDefaultFromBuild ?? 0,
        RDP_FLAG[s.rdp],
      ]),
    ),
    rows("Observed", [
      ...observedSettings(o).map((s) => [s.id, `SYSTEM\\CurrentControlSet\\${s.key}`, s.name, null]),
      ...POLICY_OVERRIDES.map((p) => [`gpo:${p.name}`, p.key, p.name, policyExpected(p.name, p.overrides)]),
    ]),
    rows(
      "Grants",
      steps.get("machinekeys-acl")
        ? MACHINE_KEYS_GRANTS.map((g) => [g.sid, ICACLS_RIGHTS_MASK[g.rights], `*${g.sid}:(${g.rights})`])
        : [],
    ),
    `$Tokens = @{ ${Object.entries(MACHINE_KEYS_TOKENS)
      .map(([sid, token]) => `${psq(sid)} = ${ps(token)}`)
      .join("; ")} }`,
    rows("Bcd", steps.get("serial-console") ? bcdRows() : []),
  ].join("\n");
  const script = fillSettings(readTemplate("online.ps1"), "online.ps1", config);
  return render.readable ? script : compactScript(script);
}

function bcdRows(): PsLiteral[][] {
  const os = "{current}";
  const commands = emsBcdCommands(os);
  return EMS_CHECKS.map((e) => [
    e.id,
    e.target === "{os}" ? os : e.target,
    e.name,
    e.expected,
    commands[e.command]!.join(" "),
  ]);
}

export function scriptSha256(script: string): string {
  return createHash("sha256").update(script, "utf8").digest("hex");
}
