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
