/*
 * String enums of the RdpHardening schema. Pulumi's schema inference (componentProviderHost) turns a
 * union of string literals into a schema enum only when it is declared as an `as const` object plus a
 * type of the same name (the object first): a plain `"a" | "b"` alias is rejected. TypeScript callers
 * still pass the plain strings; other languages get generated enum types.
 */

/** How the hardening script runs. */
export const HardeningMode = {
  /** Change what drifted from the baseline (after backing it up) and report. */
  Enforce: "enforce",
  /** Only report what differs; change nothing. */
  Audit: "audit",
} as const;
export type HardeningMode = (typeof HardeningMode)[keyof typeof HardeningMode];

/** The RDP-Tcp `SecurityLayer` value. */
export const SecurityLayer = {
  /** 1: negotiate TLS with the client, the runbook's value (default). */
  Negotiate: "negotiate",
  /** 2: TLS only, as CIS and STIG require. */
  Tls: "tls",
} as const;
export type SecurityLayer = (typeof SecurityLayer)[keyof typeof SecurityLayer];

/** How the hardening script reaches the VM. */
export const Delivery = {
  /**
   * A CustomScript extension whose command carries the script compressed (the default). Defender ASR's
   * "Block execution of potentially obfuscated scripts" blocks such a command.
   */
  CustomScript: "customScript",
  /** A managed Run Command that runs the plain, commented script as a .ps1 file (for ASR-locked fleets). */
  RunCommand: "runCommand",
} as const;
export type Delivery = (typeof Delivery)[keyof typeof Delivery];
