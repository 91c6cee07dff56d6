import { RuleInput } from "../src/nsg/rules";

/** Small deterministic PRNG so every benchmark run measures the same fleet. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SOURCES = [
  "*",
  "Internet",
  "VirtualNetwork",
  "AzureLoadBalancer",
  "10.0.0.0/8",
  "203.0.113.7/32",
  "198.51.100.0/22",
  "0.0.0.0/0",
  "20.40.0.0/16",
  "172.16.4.0/24",
];
const PORTS = ["3389", "443", "22", "3000-4000", "*", "80", "8080-8090", "1433", "5985-5986", "3389-3390"];

/** A realistic-looking rule: mostly Allow, a mix of sources and ports, some Denies. */
export function genRule(r: () => number, i: number, priority: number): RuleInput {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  return {
    name: `rule-${i}`,
    priority,
    direction: r() < 0.9 ? "Inbound" : "Outbound",
    access: r() < 0.75 ? "Allow" : "Deny",
    protocol: pick(["Tcp", "Tcp", "*", "Udp"]),
    sourceAddressPrefix: pick(SOURCES),
    destinationAddressPrefix: r() < 0.8 ? "*" : `10.${Math.floor(r() * 255)}.0.0/24`,
    destinationPortRange: pick(PORTS),
  };
}

/** `count` rules in NSGs of `perNsg` rules, as `az network nsg list -o json` prints them. */
export function genAzExport(count: number, perNsg = 10, seed = 42): unknown[] {
  const r = rng(seed);
  const out: unknown[] = [];
  for (let n = 0; n * perNsg < count; n++) {
    const name = `nsg-${n}`;
    const id =
      "/subscriptions/00000000-0000-0000-0000-000000000000" +
      `/resourceGroups/rg-${n % 50}/providers/Microsoft.Network/networkSecurityGroups/${name}`;
    const rules = [];
    for (let i = 0; i < perNsg && n * perNsg + i < count; i++) {
      const rule = genRule(r, i, 100 + i * 10);
      rules.push({
        ...rule,
        id: `${id}/securityRules/${rule.name}`,
        etag: 'W/"00000000-0000-0000-0000-000000000000"',
        provisioningState: "Succeeded",
        resourceGroup: `rg-${n % 50}`,
        sourcePortRange: "*",
        sourcePortRanges: [],
        sourceAddressPrefixes: [],
        destinationAddressPrefixes: [],
        destinationPortRanges: [],
        type: "Microsoft.Network/networkSecurityGroups/securityRules",
      });
    }
    out.push({
      id,
      name,
      location: "westeurope",
      resourceGroup: `rg-${n % 50}`,
      type: "Microsoft.Network/networkSecurityGroups",
      securityRules: rules,
      defaultSecurityRules: [],
    });
  }
  return out;
}
