import { DEFAULT_CONFIG, engineOptions } from "../src/config";
import { evaluateNsg } from "../src/nsg/evaluate";
import { NsgInput, RuleInput } from "../src/nsg/rules";
import { genRule, rng } from "./fleet-gen";

/** 1,000 rules (Azure's maximum per NSG) in one NSG, in two shapes. */
export function largeNsgs(): { label: string; nsg: NsgInput }[] {
  const r = rng(3);
  const mixed: RuleInput[] = Array.from({ length: 1000 }, (_, i) => ({
    ...genRule(r, i, 100 + i * 3),
    direction: "Inbound",
  }));
  // Worst case for destination cells: every rule has its own source and its own destination.
  const distinct: RuleInput[] = Array.from({ length: 1000 }, (_, i) => ({
    name: `r-${i}`,
    priority: 100 + i * 3,
    direction: "Inbound",
    access: i % 2 ? "Allow" : "Deny",
    protocol: "Tcp",
    sourceAddressPrefix: `${20 + (i % 200)}.${Math.floor(i / 200)}.0.0/16`,
    destinationAddressPrefix: `10.0.${Math.floor(i / 250)}.${i % 250}`,
    destinationPortRange: "3389",
  }));
  return [
    {
      label: "mixed rules (fleet generator)",
      nsg: { id: "big-mixed", name: "big-mixed", type: "bench", rules: mixed },
    },
    {
      label: "distinct sources and destinations",
      nsg: { id: "big-distinct", name: "big-distinct", type: "bench", rules: distinct },
    },
  ];
}

/** Milliseconds to evaluate each 1,000-rule NSG: best of 5 after a warm-up. */
export function largeNsgBenchmark(line: (label: string, value: string, goal: string) => void): void {
  const opts = engineOptions(DEFAULT_CONFIG);
  for (const { label, nsg } of largeNsgs()) {
    evaluateNsg(nsg, opts);
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      evaluateNsg(nsg, opts);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
    }
    line(`engine: one 1,000-rule NSG, ${label}`, `${best.toFixed(1)} ms`, "<= 50 ms");
  }
}
