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
  readonly category: "tls" | "nla" | "rdp-port" | "rdp-enabled" | "crash-dump";
  /** Key below HKLM\SYSTEM\CurrentControlSet (offline: below each ControlSetNNN). */
  readonly key: string;
  readonly name: string;
  readonly type: RegistryType;
  readonly value: number | string;
  /** Needs a reboot to take effect. */
  readonly reboot: boolean;
  /** Only where the OS supports it (TLS 1.3 exists from Windows Server 2022, build 20348). */
  readonly minBuild?: number;
  /**
   * From this OS build on, a missing value already means the baseline value (SCHANNEL protocols the
   * OS enables by default): missing is not drift, so it is neither set nor a reason to reboot.
   */
  readonly absentIsDefaultFromBuild?: number;
  /** RDP depends on it: a change triggers the post-enforce RDP health check (and rollback). */
  readonly rdp: "none" | "health" | "restart-termservice";
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
const TERMINAL_SERVER = "Control\\Terminal Server";

const SEED = {
  tls:
    "Step 3: Enable all supported TLS versions (SCHANNEL Protocols\\TLS 1.x\\Server Enabled=1); " +
    "offline: 'Enable all supported TLS versions'",
  nla:
    "Offline repair step 4: Enable NLA " +
    "(WinStations\\RDP-Tcp SecurityLayer, UserAuthentication, fAllowSecProtocolNegotiation)",
  port: "Step 1: Check the RDP port; change PortNumber in WinStations\\RDP-Tcp if another application holds 3389",
  dump:
    "Offline repair: Enable dump log " +
    "(CrashControl CrashDumpEnabled=1, DumpFile=%SystemRoot%\\MEMORY.DMP, NMICrashDump=1)",
  deny: "Step 1: RDP must be allowed (Terminal Server fDenyTSConnections=0) for the port checks to matter",
};

/**
 * SCHANNEL server protocol keys. `defaultFrom`: the first build on which the protocol is enabled
 * when its keys are absent (TLS 1.2: Windows Server 2012, build 9200; TLS 1.3: Server 2022) per
 * "TLS/SSL settings" and "Protocols in TLS/SSL (Schannel SSP)" on learn.microsoft.com.
 */
function tlsServer(version: string, minBuild?: number, defaultFrom?: number): RegistrySetting[] {
  const id = version.replace(/[ .]/g, "").toLowerCase();
  const common = {
    category: "tls",
    key: `${SCHANNEL}\\${version}\\Server`,
    type: "REG_DWORD",
    reboot: true,
    minBuild,
    absentIsDefaultFromBuild: defaultFrom,
    rdp: "health",
    seed: SEED.tls,
  } as const;
  return [
    { ...common, id: `${id}-server-enabled`, name: "Enabled", value: 1 },
    { ...common, id: `${id}-server-disabledbydefault`, name: "DisabledByDefault", value: 0 },
  ];
}

/** The TLS 1.2 server key the RDP health check reads. */
export const TLS12_SERVER_KEY = `${SCHANNEL}\\TLS 1.2\\Server`;

export function registrySettings(o: ResolvedOptions): RegistrySetting[] {
  const nla = {
    category: "nla",
    key: RDP_TCP,
    type: "REG_DWORD",
    reboot: false,
    rdp: "health",
    seed: SEED.nla,
  } as const;
  const dump = { category: "crash-dump", key: CRASH, reboot: true, rdp: "none", seed: SEED.dump } as const;
  const out: RegistrySetting[] = [
    ...tlsServer("TLS 1.2", undefined, 9200),
    ...tlsServer("TLS 1.3", 20348, 20348),
    ...(o.legacyTls ? [...tlsServer("TLS 1.0"), ...tlsServer("TLS 1.1")] : []),
    { ...nla, id: "nla-user-authentication", name: "UserAuthentication", value: 1 },
    { ...nla, id: "nla-security-layer", name: "SecurityLayer", value: o.securityLayer === "tls" ? 2 : 1 },
    { ...nla, id: "nla-protocol-negotiation", name: "fAllowSecProtocolNegotiation", value: 1 },
    {
      id: "rdp-port-number",
      category: "rdp-port",
      key: RDP_TCP,
      name: "PortNumber",
      type: "REG_DWORD",
      value: o.rdpPort,
      reboot: false,
      rdp: "restart-termservice",
      seed: SEED.port,
    },
    {
      id: "rdp-connections-allowed",
      category: "rdp-enabled",
      key: TERMINAL_SERVER,
      name: "fDenyTSConnections",
      type: "REG_DWORD",
      value: 0,
      reboot: false,
      rdp: "health",
      seed: SEED.deny,
    },
  ];
  if (o.crashDump) {
    out.push(
      { ...dump, id: "crash-dump-enabled", name: "CrashDumpEnabled", type: "REG_DWORD", value: 1 },
      { ...dump, id: "crash-dump-file", name: "DumpFile", type: "REG_EXPAND_SZ", value: "%SystemRoot%\\MEMORY.DMP" },
      { ...dump, id: "crash-dump-nmi", name: "NMICrashDump", type: "REG_DWORD", value: 1 },
    );
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
      seed:
        "Step 2.3: Reset MachineKeys permissions " +
        "(SYSTEM F, NETWORK SERVICE R, Administrators F; icacls before/after)",
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
      seed:
        "Offline repair: Enable Serial Console (bcdedit bootmgr displaybootmenu/timeout/bootems, /ems on, " +
        "/emssettings EMSPORT:1 EMSBAUDRATE:115200)",
    },
    {
      id: "gpo-overrides",
      enabled: true,
      seed: "Step 3.3: If the change is reverted, an Active Directory policy sets it: change that policy",
    },
  ];
}

/**
 * Effective access for the online MachineKeys check (defect: the default ACL of KB 278381 grants SYSTEM
 * and NETWORK SERVICE nothing explicitly; they get it through Everyone (S-1-1-0) and BUILTIN\\Administrators).
 * The SIDs in each principal's access token ("Well-known SIDs"; LocalSystem's token holds Administrators,
 * NETWORK SERVICE's holds Everyone, Authenticated Users, Users and SERVICE), keyed by the grant's SID.
 */
export const MACHINE_KEYS_TOKENS: Readonly<Record<string, readonly string[]>> = {
  "S-1-5-18": ["S-1-5-18", "S-1-5-32-544", "S-1-1-0", "S-1-5-11"],
  "S-1-5-20": ["S-1-5-20", "S-1-1-0", "S-1-5-11", "S-1-5-32-545", "S-1-5-6"],
  "S-1-5-32-544": ["S-1-5-32-544"],
};

/** FileSystemRights an icacls simple right needs: F = FullControl (0x1F01FF), R = Read (0x20089). */
export const ICACLS_RIGHTS_MASK = { F: 0x1f01ff, R: 0x20089 } as const;

/** The runbook's serial console / EMS boot settings (offline: `bcdedit /store <BCD>`, online: the system store). */
export const EMS_SETTINGS = { displayBootMenu: true, timeoutSeconds: 5, emsPort: 1, emsBaudRate: 115200 } as const;
const EMS = EMS_SETTINGS;
const yesNo = (b: boolean): string => (b ? "yes" : "no");

/**
 * How the online script checks each EMS value of {@link EMS_SETTINGS} (`bcdedit /enum <target>` shows
 * `name value`); `command` indexes {@link emsBcdCommands}, the command that sets it. `{os}` is the boot
 * loader (`{current}` online).
 */
export interface EmsCheck {
  readonly id: string;
  readonly target: "{bootmgr}" | "{os}" | "{emssettings}";
  readonly name: string;
  readonly expected: string;
  readonly command: number;
}

// The expected values come from EMS_SETTINGS, so the online checks and both scripts' bcdedit commands agree.
export const EMS_CHECKS: readonly EmsCheck[] = [
  {
    id: "ems-bootmgr-displaybootmenu",
    target: "{bootmgr}",
    name: "displaybootmenu",
    expected: yesNo(EMS.displayBootMenu),
    command: 0,
  },
  { id: "ems-bootmgr-timeout", target: "{bootmgr}", name: "timeout", expected: String(EMS.timeoutSeconds), command: 1 },
  { id: "ems-bootmgr-bootems", target: "{bootmgr}", name: "bootems", expected: "yes", command: 2 },
  { id: "ems-os", target: "{os}", name: "ems", expected: "yes", command: 3 },
  { id: "ems-settings-port", target: "{emssettings}", name: "emsport", expected: String(EMS.emsPort), command: 4 },
  {
    id: "ems-settings-baudrate",
    target: "{emssettings}",
    name: "emsbaudrate",
    expected: String(EMS.emsBaudRate),
    command: 4,
  },
];

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

/** The bcdedit argument lists that apply {@link EMS_SETTINGS}; `loader` is `{default}` offline, `{current}` online. */
export function emsBcdCommands(loader: "{default}" | "{current}"): string[][] {
  const e = EMS_SETTINGS;
  return [
    ["/set", "{bootmgr}", "displaybootmenu", yesNo(e.displayBootMenu)],
    ["/set", "{bootmgr}", "timeout", String(e.timeoutSeconds)],
    ["/set", "{bootmgr}", "bootems", "yes"],
    ["/ems", loader, "on"],
    ["/emssettings", `EMSPORT:${e.emsPort}`, `EMSBAUDRATE:${e.emsBaudRate}`],
  ];
}
