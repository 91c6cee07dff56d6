import fc from "fast-check";
import { HardeningOptions } from "../../src/baseline/options";

/** Any valid baseline option set (the property-test generator shared by the render and pwsh tests). */
export const optionsArb: fc.Arbitrary<HardeningOptions> = fc.record(
  {
    legacyTls: fc.boolean(),
    securityLayer: fc.constantFrom("negotiate" as const, "tls" as const),
    certMinValidDays: fc.integer({ min: 0, max: 90 }),
    rdpPort: fc.integer({ min: 1, max: 65535 }),
    stopConflictingService: fc.boolean(),
    serialConsole: fc.boolean(),
    crashDump: fc.boolean(),
    machineKeysAcl: fc.boolean(),
    renewCertificate: fc.boolean(),
  },
  { requiredKeys: [] },
);

export const renderArb = fc.record({
  mode: fc.constantFrom("enforce" as const, "audit" as const),
  allowReboot: fc.boolean(),
});

/** Every option switched to its most expensive value: the longest script. */
export const LARGEST: HardeningOptions = {
  legacyTls: true,
  securityLayer: "tls",
  certMinValidDays: 90,
  rdpPort: 65535,
  stopConflictingService: true,
  serialConsole: true,
  crashDump: true,
  machineKeysAcl: true,
  renewCertificate: true,
};

/**
 * Every combination of the seven switches and the two run options (512), with the widest numbers (port 65535,
 * 90 days): what the command-length limit must hold for.
 */
export function everyCombination(): { options: HardeningOptions; mode: "audit" | "enforce"; allowReboot: boolean }[] {
  return Array.from({ length: 512 }, (_, m) => {
    const on = (bit: number): boolean => (m & (1 << bit)) !== 0;
    const options: HardeningOptions = {
      legacyTls: on(0),
      securityLayer: on(1) ? "tls" : "negotiate",
      stopConflictingService: on(2),
      serialConsole: on(3),
      crashDump: on(4),
      machineKeysAcl: on(5),
      renewCertificate: on(6),
      rdpPort: 65535,
      certMinValidDays: 90,
    };
    return { options, mode: on(7) ? "audit" : "enforce", allowReboot: on(8) };
  });
}
