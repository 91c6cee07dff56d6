import { AddressSet, EMPTY, PUBLIC, addrIntersect, addrOverlaps, addrUnion, publicCount } from "../nsg/addresses";
import { EngineOptions, NsgEvaluation, RuleExposure } from "../nsg/evaluate";

export interface EffectiveRule {
  readonly nsgId: string;
  readonly nsgName: string;
  readonly rule: string;
  readonly priority: number;
  readonly protocol: "TCP" | "UDP";
  readonly ports: readonly number[];
}

export interface EffectiveExposure {
  readonly exposed: boolean;
  /** Worst protocol exposed: TCP (error) or UDP only (warning). */
  readonly protocol?: "TCP" | "UDP";
  readonly ports: readonly number[];
  readonly publicAddresses: bigint;
  /** The Allow rules, in either NSG, that let the exposed traffic through. */
  readonly rules: readonly EffectiveRule[];
}

/**
 * Inbound traffic to a NIC passes the subnet's NSG and then the NIC's own: the exposure that reaches
 * the VM is the intersection of both (a missing NSG filters nothing). Computed per protocol and RDP
 * port from each NSG's per-rule exposures, so an Allow on the subnet that the NIC's NSG denies is
 * not exposure.
 */
export function effectiveExposure(
  levels: readonly (NsgEvaluation | undefined)[],
  opts: EngineOptions,
): EffectiveExposure {
  const present = levels.filter((l): l is NsgEvaluation => l !== undefined);
  const rules: EffectiveRule[] = [];
  const ports = new Set<number>();
  let total = 0n;
  let worst: "TCP" | "UDP" | undefined;
  for (const protocol of ["TCP", "UDP"] as const) {
    for (const port of opts.rdpPorts) {
      const perLevel = present.map((e) =>
        e.candidates.filter((c) => c.protocol === protocol && c.ports.includes(port)),
      );
      let reach: AddressSet = { ...PUBLIC };
      for (const list of perLevel)
        reach = addrIntersect(
          reach,
          list.reduce((acc: AddressSet, c: RuleExposure) => addrUnion(acc, c.exposed), EMPTY),
        );
      const count = present.length === 0 ? 0n : publicCount(reach);
      if (count <= BigInt(opts.maxPublicSourceAddresses)) continue;
      ports.add(port);
      if (count > total) total = count;
      worst ??= protocol;
      present.forEach((e, i) => {
        for (const c of perLevel[i]!) {
          if (!addrOverlaps(c.exposed, reach)) continue;
          if (rules.some((r) => r.nsgId === e.nsg.id && r.rule === c.rule.input.name && r.protocol === protocol))
            continue;
          rules.push({
            nsgId: e.nsg.id,
            nsgName: e.nsg.name,
            rule: c.rule.input.name,
            priority: c.rule.priority,
            protocol,
            ports: c.ports,
          });
        }
      });
    }
  }
  return {
    exposed: ports.size > 0,
    protocol: worst,
    ports: [...ports].sort((a, b) => a - b),
    publicAddresses: total,
    rules,
  };
}
