import { GuardConfig, engineOptions } from "../config";
import { EMPTY } from "../nsg/addresses";
import { evaluateNsg } from "../nsg/evaluate";
import { InputError } from "../errors";

/**
 * Trusted prefixes go into an Allow placed above our own Deny, so they are run through the engine
 * first: an Allow that the engine, trusting nothing, finds open to more than a /8 of public
 * addresses (`*`, `Internet`, `0.0.0.0/0`, `::/0`, ...) is Internet-wide and refused. Narrower
 * corporate ranges stay the user's call (trustedSourcePrefixes in the config).
 */
export const INTERNET_WIDE_ADDRESSES = 2 ** 24;

export function checkTrustedPrefixes(prefixes: readonly string[], config: GuardConfig, where: string): void {
  if (prefixes.length === 0) return;
  const strict = {
    ...engineOptions(config),
    trusted: EMPTY,
    trustedTags: new Set<string>(),
    maxPublicSourceAddresses: INTERNET_WIDE_ADDRESSES,
  };
  const allow = {
    name: "trusted-prefixes",
    priority: 100,
    direction: "Inbound",
    access: "Allow",
    protocol: "*",
    sourceAddressPrefixes: [...prefixes],
    destinationAddressPrefix: "*",
    destinationPortRanges: config.rdpPorts.map(String),
  };
  const e = evaluateNsg(
    { id: where, name: where, type: "Microsoft.Network/networkSecurityGroups", rules: [allow] },
    strict,
  );
  const unreadable = e.findings.some((f) => f.problems && f.problems.length > 0);
  if (e.exposures.length > 0 || unreadable) {
    throw new InputError(
      `${where}: trusted prefixes ${prefixes.join(", ")} would let the Internet reach RDP ` +
        `(wider than a /8, or not an address the engine can read): refusing to add an Allow above the Deny`,
    );
  }
}
