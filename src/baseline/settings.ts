import { ResolvedOptions } from "./options";

/**
 * The runbook's settings as data. Every entry cites the step of Microsoft's "internal error when
 * you connect through Remote Desktop" article it comes from, so online enforcement, the offline
 * .reg rendering and fleet audits all read one list.
 */

export type RegistryType = "REG_DWORD" | "REG_SZ" | "REG_EXPAND_SZ";

export interface RegistrySetting {
  /** Stable id, used in reports and audits. */
  readonly id: string;
  readonly category: "tls" | "nla" | "rdp-port" | "crash-dump" | "group-policy";
  /** Key below HKLM\SYSTEM\CurrentControlSet (offline: below each ControlSetNNN). */
  readonly key: string;
  readonly name: string;
  readonly type: RegistryType;
  readonly value: number | string;
  /** Needs a reboot to take effect. */
  readonly reboot: boolean;
  /** Only where the OS supports it (TLS 1.3 exists from Windows Server 2022, build 20348). */
  readonly minBuild?: number;
  /** The runbook step this comes from. */
  readonly seed: string;
}

/** Values read and reported but never changed (state the user should know about). */
export interface ObservedSetting {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly note: string;
}

/** Non-registry steps of the runbook, each rendered as its own block. */
export interface ActionStep {
  readonly id:
    "machinekeys-acl" | "rdp-certificate" | "rdp-firewall" | "rdp-port-conflict" | "serial-console" | "gpo-overrides";
  readonly seed: string;
  readonly enabled: boolean;
}

const SCHANNEL = "Control\\SecurityProviders\\SCHANNEL\\Protocols";
const RDP_TCP = "Control\\Terminal Server\\WinStations\\RDP-Tcp";
const CRASH = "Control\\CrashControl";

const SEED = {
  tls: "Step 3: Enable all supported TLS versions (SCHANNEL Protocols\\TLS 1.x\\Server Enabled=1); offline: 'Enable all supported TLS versions'",
  nla: "Offline repair step 4: Enable NLA (WinStations\\RDP-Tcp SecurityLayer, UserAuthentication, fAllowSecProtocolNegotiation)",
  port: "Step 1: Check the RDP port; change PortNumber in WinStations\\RDP-Tcp if another application holds 3389",
  dump: "Offline repair: Enable dump log (CrashControl CrashDumpEnabled=1, DumpFile=%SystemRoot%\\MEMORY.DMP, NMICrashDump=1)",
  gpo: "Step 3.2: Stop Group Policy updates temporarily (Services\\gpsvc Start=4) so a domain policy does not revert the change",
};

function tlsServer(version: string, minBuild?: number): RegistrySetting[] {
  const id = version.replace(/[ .]/g, "").toLowerCase();
  return [
    {
      id: `${id}-server-enabled`,
      category: "tls",
      key: `${SCHANNEL}\\${version}\\Server`,
      name: "Enabled",
      type: "REG_DWORD",
      value: 1,
      reboot: true,
      minBuild,
      seed: SEED.tls,
    },
    {
      id: `${id}-server-disabledbydefault`,
      category: "tls",
      key: `${SCHANNEL}\\${version}\\Server`,
      name: "DisabledByDefault",
      type: "REG_DWORD",
      value: 0,
      reboot: true,
      minBuild,
      seed: SEED.tls,
    },
  ];
}

export function registrySettings(o: ResolvedOptions): RegistrySetting[] {
  const out: RegistrySetting[] = [
    ...tlsServer("TLS 1.2"),
    ...tlsServer("TLS 1.3", 20348),
    ...(o.legacyTls ? [...tlsServer("TLS 1.0"), ...tlsServer("TLS 1.1")] : []),
    {
      id: "nla-user-authentication",
      category: "nla",
      key: RDP_TCP,
      name: "UserAuthentication",
      type: "REG_DWORD",
      value: 1,
      reboot: false,
      seed: SEED.nla,
    },
    {
      id: "nla-security-layer",
      category: "nla",
      key: RDP_TCP,
      name: "SecurityLayer",
      type: "REG_DWORD",
      value: o.securityLayer === "tls" ? 2 : 1,
      reboot: false,
      seed: SEED.nla,
    },
    {
      id: "nla-protocol-negotiation",
      category: "nla",
      key: RDP_TCP,
      name: "fAllowSecProtocolNegotiation",
      type: "REG_DWORD",
      value: 1,
      reboot: false,
      seed: SEED.nla,
    },
    {
      id: "rdp-port-number",
      category: "rdp-port",
      key: RDP_TCP,
      name: "PortNumber",
      type: "REG_DWORD",
      value: o.rdpPort,
      reboot: false,
      seed: SEED.port,
    },
  ];
  if (o.crashDump) {
    out.push(
      {
        id: "crash-dump-enabled",
        category: "crash-dump",
        key: CRASH,
        name: "CrashDumpEnabled",
        type: "REG_DWORD",
        value: 1,
        reboot: true,
        seed: SEED.dump,
      },
      {
        id: "crash-dump-file",
        category: "crash-dump",
        key: CRASH,
        name: "DumpFile",
        type: "REG_EXPAND_SZ",
        value: "%SystemRoot%\\MEMORY.DMP",
        reboot: true,
        seed: SEED.dump,
      },
      {
        id: "crash-dump-nmi",
        category: "crash-dump",
        key: CRASH,
        name: "NMICrashDump",
        type: "REG_DWORD",
        value: 1,
        reboot: true,
        seed: SEED.dump,
      },
    );
  }
  if (o.disableGroupPolicyTemporarily) {
    out.push({
      id: "gpsvc-disabled-temporarily",
      category: "group-policy",
      key: "Services\\gpsvc",
      name: "Start",
      type: "REG_DWORD",
      value: 4,
      reboot: true,
      seed: SEED.gpo,
    });
  }
  return out;
}

/** Without the legacy opt-in, TLS 1.0/1.1 are left as they are but their state is reported. */
export function observedSettings(o: ResolvedOptions): ObservedSetting[] {
  if (o.legacyTls) return [];
  return ["TLS 1.0", "TLS 1.1"].map((v) => ({
    id: `${v.replace(/[ .]/g, "").toLowerCase()}-server-enabled`,
    key: `${SCHANNEL}\\${v}\\Server`,
    name: "Enabled",
    note: "legacy; unchanged unless legacyTls",
  }));
}

export function actionSteps(o: ResolvedOptions): ActionStep[] {
  return [
    {
      id: "machinekeys-acl",
      enabled: o.machineKeysAcl,
      seed: "Step 2.3: Reset MachineKeys permissions (SYSTEM F, NETWORK SERVICE R, Administrators F; icacls before/after)",
    },
    {
      id: "rdp-certificate",
      enabled: o.renewCertificate,
      seed: "Step 2.1: Renew the RDP self-signed certificate (remove it from Remote Desktop store, restart SessionEnv)",
    },
    {
      id: "rdp-firewall",
      enabled: true,
      seed: "Step 1.2.2: Set the firewall rule RemoteDesktop-UserMode-In-TCP to the RDP port",
    },
    {
      id: "rdp-port-conflict",
      enabled: true,
      seed: "Step 1.1: Check with netstat which process holds the RDP port; stop it or move RDP",
    },
    {
      id: "serial-console",
      enabled: o.serialConsole,
      seed: "Offline repair: Enable Serial Console (bcdedit bootmgr displaybootmenu/timeout/bootems, /ems on, /emssettings EMSPORT:1 EMSBAUDRATE:115200)",
    },
    {
      id: "gpo-overrides",
      enabled: true,
      seed: "Step 3.3: If the change is reverted, an Active Directory policy sets it: change that policy",
    },
  ];
}

/** Group Policy values that override the WinStations\RDP-Tcp settings above (policy wins). */
export interface PolicyOverride {
  readonly key: string;
  readonly name: string;
  /** The baseline setting it overrides, when there is one. */
  readonly overrides?: string;
  readonly note: string;
}

export const POLICY_OVERRIDES: readonly PolicyOverride[] = [
  {
    key: "SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services",
    name: "UserAuthentication",
    overrides: "nla-user-authentication",
    note: "GPO 'Require NLA'",
  },
  {
    key: "SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services",
    name: "SecurityLayer",
    overrides: "nla-security-layer",
    note: "GPO 'Require specific security layer'",
  },
  {
    key: "SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services",
    name: "fDenyTSConnections",
    note: "GPO 'Allow users to connect remotely' (1 = RDP denied)",
  },
  {
    key: "SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services",
    name: "MinEncryptionLevel",
    note: "GPO 'Set client connection encryption level'",
  },
  {
    key: "SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002",
    name: "Functions",
    note: "GPO 'SSL Cipher Suite Order'",
  },
];

/**
 * Step 2.3's MachineKeys grants, by SID so localized Windows works (icacls `*SID:(rights)`). The
 * online and offline scripts both render these.
 */
export interface MachineKeysGrant {
  readonly sid: string;
  readonly account: string;
  /** icacls simple rights: F (full) or R (read). */
  readonly rights: "F" | "R";
}

export const MACHINE_KEYS_GRANTS: readonly MachineKeysGrant[] = [
  { sid: "S-1-5-18", account: "NT AUTHORITY\\SYSTEM", rights: "F" },
  { sid: "S-1-5-20", account: "NT AUTHORITY\\NETWORK SERVICE", rights: "R" },
  { sid: "S-1-5-32-544", account: "BUILTIN\\Administrators", rights: "F" },
];

/** The runbook's serial console / EMS boot settings (offline: `bcdedit /store <BCD>`, online: the system store). */
export const EMS_SETTINGS = { displayBootMenu: true, timeoutSeconds: 5, emsPort: 1, emsBaudRate: 115200 } as const;

/** The bcdedit argument lists that apply {@link EMS_SETTINGS}; `loader` is `{default}` offline, `{current}` online. */
export function emsBcdCommands(loader: "{default}" | "{current}"): string[][] {
  const e = EMS_SETTINGS;
  return [
    ["/set", "{bootmgr}", "displaybootmenu", e.displayBootMenu ? "yes" : "no"],
    ["/set", "{bootmgr}", "timeout", String(e.timeoutSeconds)],
    ["/set", "{bootmgr}", "bootems", "yes"],
    ["/ems", loader, "on"],
    ["/emssettings", `EMSPORT:${e.emsPort}`, `EMSBAUDRATE:${e.emsBaudRate}`],
  ];
}
