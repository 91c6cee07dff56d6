import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { engineOptions, DEFAULT_CONFIG } from "../../src/config";
import { evaluateNsg } from "../../src/nsg/evaluate";
import { contains } from "../../src/nsg/intervals";
import { DEFAULT_INBOUND_RULES, RuleInput } from "../../src/nsg/rules";

/*
 * The engine computes exposure with interval arithmetic. This reference does it the slow way: it
 * enumerates every port of interest and samples one address in every elementary cell of the address
 * space (all prefix boundaries), then asks "which rule decides this flow first?" exactly as Azure does.
 */

const BASES = [
  0,
  ip("10.0.0.0"),
  ip("20.0.0.0"),
  ip("100.64.0.0"),
  ip("172.16.0.0"),
  ip("192.168.0.0"),
  ip("203.0.113.0"),
  ip("255.255.255.0"),
];
const PRIVATE: [number, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
].map(([a, l]) => cidr(`${a}/${l}`));

function ip(s: string): number {
  return s.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}
function toIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}
function cidr(s: string): [number, number] {
  const [a, l] = s.split("/");
  const size = 2 ** (32 - Number(l));
  const lo = Math.floor(ip(a!) / size) * size;
  return [lo, lo + size - 1];
}

type Src = { kind: "cidr"; text: string } | { kind: "any" } | { kind: "internet" } | { kind: "vnet" };
interface GenRule {
  name: string;
  priority: number;
  allow: boolean;
  proto: "Tcp" | "Udp" | "*";
  src: Src;
  dst: string;
  ports: string;
}

const prefixArb = fc
  .tuple(fc.constantFrom(...BASES), fc.integer({ min: 0, max: 2 ** 20 }), fc.integer({ min: 0, max: 32 }))
  .map(([base, off, len]) => `${toIp(Math.min(base + off * 256, 2 ** 32 - 1))}/${len}`);
const srcArb: fc.Arbitrary<Src> = fc.oneof(
  { weight: 6, arbitrary: prefixArb.map((text) => ({ kind: "cidr" as const, text })) },
  { weight: 1, arbitrary: fc.constant({ kind: "any" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "internet" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "vnet" as const }) },
);
const portsArb = fc.oneof(
  fc.constant("*"),
  fc.constant("3389"),
  fc.constant("3390"),
  fc.tuple(fc.integer({ min: 3380, max: 3395 }), fc.integer({ min: 0, max: 10 })).map(([a, w]) => `${a}-${a + w}`),
);
const ruleArb = fc.record({
  allow: fc.boolean(),
  proto: fc.constantFrom("Tcp" as const, "Udp" as const, "*" as const),
  src: srcArb,
  dst: fc.oneof(fc.constant("*"), prefixArb),
  ports: portsArb,
});
const rulesArb = fc
  .uniqueArray(fc.integer({ min: 100, max: 4096 }), { minLength: 1, maxLength: 7 })
  .chain((prios) =>
    fc
      .tuple(...prios.map(() => ruleArb))
      .map((rs) => rs.map((r, i): GenRule => ({ ...r, name: `r${i}`, priority: prios[i]! }))),
  );

function srcRange(s: Src): [number, number] | "vnet" {
  if (s.kind === "cidr") return cidr(s.text);
  if (s.kind === "vnet") return "vnet";
  return [0, 2 ** 32 - 1];
}
const isPublic = (a: number) => !PRIVATE.some(([lo, hi]) => a >= lo && a <= hi);

/** Every address at which some prefix starts or ends: one sample per elementary cell. */
function samples(ranges: [number, number][]): number[] {
  const pts = new Set<number>([0, 2 ** 32 - 1]);
  for (const [lo, hi] of [...ranges, ...PRIVATE]) {
    pts.add(lo);
    pts.add(hi);
    if (hi + 1 < 2 ** 32) pts.add(hi + 1);
  }
  return [...pts];
}

function referenceExposure(rules: GenRule[], rdpPorts: number[], proto: "Tcp" | "Udp"): Map<string, number[]> {
  const sorted = [...rules].sort((a, b) => a.priority - b.priority);
  const srcSamples = samples(rules.map((r) => srcRange(r.src)).filter((r): r is [number, number] => r !== "vnet"));
  const dstSamples = samples(rules.filter((r) => r.dst !== "*").map((r) => cidr(r.dst)));
  const exposed = new Map<string, number[]>();
  for (const port of rdpPorts) {
    for (const s of srcSamples) {
      if (!isPublic(s)) continue;
      for (const d of dstSamples) {
        const first = sorted.find((r) => {
          if (r.proto !== "*" && r.proto !== proto) return false;
          const ports = r.ports === "*" ? [0, 65535] : r.ports.split("-").map(Number);
          if (port < ports[0]! || port > (ports[1] ?? ports[0]!)) return false;
          const sr = srcRange(r.src);
          if (sr === "vnet" || s < sr[0] || s > sr[1]) return false;
          if (r.src.kind === "internet" && !isPublic(s)) return false;
          if (r.dst !== "*") {
            const [lo, hi] = cidr(r.dst);
            if (d < lo || d > hi) return false;
          }
          return true;
        });
        if (first?.allow) exposed.set(`${first.name}@${s}`, [...(exposed.get(`${first.name}@${s}`) ?? []), port]);
      }
    }
  }
  return exposed;
}

function toInput(r: GenRule): RuleInput {
  const src =
    r.src.kind === "cidr"
      ? r.src.text
      : r.src.kind === "any"
        ? "*"
        : r.src.kind === "internet"
          ? "Internet"
          : "VirtualNetwork";
  return {
    name: r.name,
    priority: r.priority,
    direction: "Inbound",
    access: r.allow ? "Allow" : "Deny",
    protocol: r.proto,
    sourceAddressPrefix: src,
    destinationAddressPrefix: r.dst,
    destinationPortRange: r.ports,
  };
}

describe("engine agrees with a brute-force reference", () => {
  it("on random rule sets (which rule exposes which public address, per protocol)", () => {
    const rdpPorts = [3389, 3390];
    const opts = engineOptions({ ...DEFAULT_CONFIG, rdpPorts, maxPublicSourceAddresses: 0 });
    fc.assert(
      fc.property(rulesArb, (rules) => {
        const evaluation = evaluateNsg({ id: "n", name: "n", type: "t", rules: rules.map(toInput) }, opts);
        for (const proto of ["Tcp", "Udp"] as const) {
          const ref = referenceExposure(rules, rdpPorts, proto);
          const engine = evaluation.exposures.filter((e) => e.protocol === proto.toUpperCase());
          const refRules = new Set([...ref.keys()].map((k) => k.split("@")[0]));
          // The reference samples IPv4 only; `*` also admits IPv6, which it does not model.
          expect(new Set(engine.filter((e) => e.exposed.v4.length > 0).map((e) => e.rule.input.name))).toEqual(
            refRules,
          );
          // Every sampled public source: exposed by the engine exactly when the reference says so.
          const allSamples = samples(
            rules.map((r) => srcRange(r.src)).filter((r): r is [number, number] => r !== "vnet"),
          );
          for (const e of engine) {
            for (const s of allSamples) {
              expect(contains(e.exposed.v4, s), `${e.rule.input.name} ${toIp(s)}`).toBe(
                ref.has(`${e.rule.input.name}@${s}`),
              );
            }
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("Azure's default rules never expose RDP on their own", () => {
    const evaluation = evaluateNsg(
      { id: "n", name: "n", type: "t", rules: DEFAULT_INBOUND_RULES },
      engineOptions({ ...DEFAULT_CONFIG, maxPublicSourceAddresses: 0 }),
    );
    expect(evaluation.exposures).toEqual([]);
  });
});
