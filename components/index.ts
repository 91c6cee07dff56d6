// The package root: the pure engine from src/ plus the Pulumi component.
export * from "../src";
export { RdpHardening } from "./rdp-hardening";
export type { RdpHardeningArgs, RdpHardeningSettings } from "./rdp-hardening";
