// The package root: the pure engine from src/ plus the Pulumi component.
import { assertPulumiPeers } from "./peers";

// Runs before the re-exports below load Pulumi (CommonJS keeps statement order).
assertPulumiPeers("azure-rdp-guard", ["@pulumi/pulumi", "@pulumi/azure-native/compute"]);

export * from "../src";
export { RdpHardening } from "./rdp-hardening";
export type { RdpHardeningArgs, RdpHardeningSettings } from "./rdp-hardening";
