/**
 * azure-rdp-guard/engine: the pure engine. It loads no Pulumi package (test/consumer/engine-purity
 * checks that at run time); the package root adds the RdpHardening component on top of it.
 */
export { DEFAULT_CONFIG, loadConfig } from "./config";
export { UserError, InputError, ConfigError, isUserError } from "./errors";
export type { GuardConfig, Exemption } from "./config";
export { scanNsgs } from "./engine";
export { scanInputs } from "./engine";
export { evaluateNsg } from "./nsg/evaluate";
export type { Finding, ExposureDetail, ResourceRef } from "./nsg/findings";
export type { NsgInput, RuleInput } from "./nsg/rules";
export { ALL_CHECKS } from "./checks";
export { parseDocument, detectFormat } from "./formats/detect";
export { renderHardeningScript, scriptSha256 } from "./baseline/render-online";
export { encodeHardeningCommand, decodeHardeningCommand } from "./baseline/encode";
export { resolveOptions } from "./baseline/options";
export type { HardeningOptions } from "./baseline/options";
