import { BaselineError } from "../errors";
/** User-facing knobs of the RDP baseline; every field has a secure default. */
export interface HardeningOptions {
  /**
   * Also enable TLS 1.0 and 1.1 server protocols, for RDP clients that cannot do TLS 1.2 (the
   * runbook's "enable all supported TLS versions" step). Off by default: both are deprecated
   * (RFC 8996) and disabled by default on current Windows releases.
   */
  readonly legacyTls?: boolean;
  /** `SecurityLayer`: "negotiate" (1, the runbook's value, default) or "tls" (2, CIS/STIG). */
  readonly securityLayer?: "negotiate" | "tls";
  /**
   * Renew the RDP certificate when it expires within this many days (default 30, at most 90:
   * Windows issues the self-signed RDP certificate for about 6 months, so a larger value would
   * renew it on every run).
   */
  readonly certMinValidDays?: number;
  /** The port RDP listens on (default 3389); registry, firewall rules and NSG move together. */
  readonly rdpPort?: number;
  /** Stop a service that holds the RDP port (default false: the conflict is only reported). */
  readonly stopConflictingService?: boolean;
  /** Enable Serial Console / EMS in the boot configuration (default true). */
  readonly serialConsole?: boolean;
  /** Configure complete memory dumps and NMI crash dumps (default true). */
  readonly crashDump?: boolean;
  /** Reset MachineKeys ACLs when they lack the runbook's grants (default true). */
  readonly machineKeysAcl?: boolean;
  /** Renew a missing, expiring or broken self-signed RDP certificate (default true). */
  readonly renewCertificate?: boolean;
}

/** The self-signed RDP certificate lives about 180 days; renewing earlier than this would loop. */
export const MAX_CERT_MIN_VALID_DAYS = 90;

export type ResolvedOptions = Required<HardeningOptions>;

export const DEFAULT_HARDENING: ResolvedOptions = {
  legacyTls: false,
  securityLayer: "negotiate",
  certMinValidDays: 30,
  rdpPort: 3389,
  stopConflictingService: false,
  serialConsole: true,
  crashDump: true,
  machineKeysAcl: true,
  renewCertificate: true,
};

/** Fills defaults and rejects values the script could not apply safely, naming the field. */
export function resolveOptions(o: HardeningOptions = {}): ResolvedOptions {
  if (Object.prototype.hasOwnProperty.call(o, "disableGroupPolicyTemporarily")) {
    throw new BaselineError(
      "disableGroupPolicyTemporarily: removed, it disabled the Group Policy client for good " +
        "(gpsvc Start=4 on every run); GPO overrides are reported instead, change the GPO",
    );
  }
  const r: ResolvedOptions = {
    ...DEFAULT_HARDENING,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  };
  if (!Number.isInteger(r.rdpPort) || r.rdpPort < 1 || r.rdpPort > 65535)
    throw new BaselineError(`rdpPort: ${String(r.rdpPort)} is not a port (1-65535)`);
  if (!Number.isInteger(r.certMinValidDays) || r.certMinValidDays < 0 || r.certMinValidDays > MAX_CERT_MIN_VALID_DAYS) {
    throw new BaselineError(
      `certMinValidDays: ${String(r.certMinValidDays)} must be a whole number of days from 0 to ` +
        `${MAX_CERT_MIN_VALID_DAYS} (the self-signed RDP certificate lives about 180 days)`,
    );
  }
  if (r.securityLayer !== "negotiate" && r.securityLayer !== "tls")
    throw new BaselineError(`securityLayer: '${String(r.securityLayer)}' must be 'negotiate' or 'tls'`);
  for (const k of [
    "legacyTls",
    "stopConflictingService",
    "serialConsole",
    "crashDump",
    "machineKeysAcl",
    "renewCertificate",
  ] as const) {
    if (typeof r[k] !== "boolean") throw new BaselineError(`${k}: must be true or false`);
  }
  return r;
}
