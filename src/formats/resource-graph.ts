import type { GraphRow } from "../azure/model";
import { RuleInput } from "../nsg/rules";
import { isWindowsVm } from "../vm/windows";
import { elements, isRecord, plainGet, readRule } from "./fields";

/*
 * Resource Graph rows (the raw ARM shape under `properties`, as projected by src/azure/queries.ts),
 * normalized like every other input: the audit reads only these shapes.
 */

function get(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

const lowerId = (v: unknown): string | undefined => (typeof v === "string" && v ? v.toLowerCase() : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export interface GraphVm {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly windows: boolean;
  /** As Azure reports it ("Windows", "Linux") or "unknown". */
  readonly osType: string;
  /** Lower-case ids. */
  readonly nicIds: readonly string[];
  readonly diskIds: readonly string[];
  /** PowerState code from Resource Graph's extended instance view (e.g. "PowerState/running"), if present. */
  readonly powerState?: string;
  readonly bootDiagnostics: boolean;
}

export function readGraphVm(row: GraphRow): GraphVm {
  const p = row.properties ?? {};
  const osType = get(p, "storageProfile", "osDisk", "osType");
  const windows = isWindowsVm({
    osType,
    imagePublisher: get(p, "storageProfile", "imageReference", "publisher"),
    windowsConfiguration: get(p, "osProfile", "windowsConfiguration"),
  });
  const disks = [
    get(p, "storageProfile", "osDisk", "managedDisk", "id"),
    ...list(get(p, "storageProfile", "dataDisks")).map((d) => get(d, "managedDisk", "id")),
  ];
  const power = get(p, "extended", "instanceView", "powerState", "code");
  return {
    id: row.id,
    name: row.name,
    subscriptionId: row.subscriptionId ?? "",
    resourceGroup: row.resourceGroup ?? "",
    location: row.location ?? "",
    windows,
    osType: typeof osType === "string" ? osType : windows ? "Windows" : "unknown",
    nicIds: list(get(p, "networkProfile", "networkInterfaces"))
      .map((n) => lowerId(get(n, "id")))
      .filter((x): x is string => !!x),
    diskIds: disks.map(lowerId).filter((x): x is string => !!x),
    powerState: typeof power === "string" ? power : undefined,
    bootDiagnostics: get(p, "diagnosticsProfile", "bootDiagnostics", "enabled") === true,
  };
}

export interface GraphNic {
  readonly id: string;
  readonly nsgId?: string;
  readonly ipConfigs: readonly { subnetId?: string; publicIpId?: string }[];
}

export function readGraphNic(row: GraphRow): GraphNic {
  return {
    id: row.id.toLowerCase(),
    nsgId: lowerId(get(row.properties, "networkSecurityGroup", "id")),
    ipConfigs: list(get(row.properties, "ipConfigurations")).map((c) => ({
      subnetId: lowerId(get(c, "properties", "subnet", "id")),
      publicIpId: lowerId(get(c, "properties", "publicIPAddress", "id")),
    })),
  };
}

/** Subnet id -> NSG id (lower case) for every subnet of a virtual network row that has an NSG. */
export function readSubnetNsgs(row: GraphRow): [string, string][] {
  const out: [string, string][] = [];
  for (const s of list(get(row.properties, "subnets"))) {
    const subnet = lowerId(get(s, "id"));
    const nsg = lowerId(get(s, "properties", "networkSecurityGroup", "id"));
    if (subnet && nsg) out.push([subnet, nsg]);
  }
  return out;
}

/** The NSG's own and default rules, read with the engine's field readers. */
export function readNsgRules(row: GraphRow): RuleInput[] {
  const out: RuleInput[] = [];
  for (const [field, isDefault] of [
    ["securityRules", false],
    ["defaultSecurityRules", true],
  ] as const) {
    const rules = get(row.properties, field);
    if (!Array.isArray(rules)) continue;
    elements(rules, plainGet).forEach((r, i) => {
      if (isRecord(r))
        out.push(
          readRule(r, {
            isDefault,
            fallbackName: `${field}[${i}]`,
            resourceId: typeof r.id === "string" ? r.id : undefined,
          }),
        );
    });
  }
  return out;
}

export interface GraphPublicIp {
  readonly id: string;
  /** "Standard", "Basic", or "unknown". A Standard public IP is closed to inbound traffic unless an NSG allows it. */
  readonly sku: string;
}

export function readGraphPublicIp(row: GraphRow): GraphPublicIp {
  const sku = get(row, "sku", "name");
  return { id: row.id.toLowerCase(), sku: typeof sku === "string" ? sku : "unknown" };
}
