import { GuardConfig, loadConfig } from "../config";
import { ConfigError } from "../errors";
import { nsgNoInternetRdp } from "../checks";
import { readJsonFile } from "../formats/json-source";

/**
 * Reads a `--config` file: either the flat config, or the policy pack's config file
 * (`--policy-pack-config`), whose `nsg-no-internet-rdp` object is then used, so one file serves both.
 */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  const doc = await readJsonFile(file, 16 * 1024 * 1024);
  const v = doc.value;
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new ConfigError(`${file}: config must be a JSON object`);
  const packSection = (v as Record<string, unknown>)[nsgNoInternetRdp.name];
  if (packSection !== undefined) {
    if (typeof packSection !== "object" || packSection === null || Array.isArray(packSection))
      throw new ConfigError(`${file}: '${nsgNoInternetRdp.name}' must be an object`);
    const { enforcementLevel: _level, ...rest } = packSection as Record<string, unknown>;
    return rest;
  }
  return v as Record<string, unknown>;
}

/** The engine config for a fleet command: `--config` when given, else the defaults. */
export async function configFromFile(file: string | undefined): Promise<GuardConfig> {
  return file ? loadConfig(await readConfigFile(file), file) : loadConfig({}, "defaults");
}
