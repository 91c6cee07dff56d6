/**
 * Azure Resource Graph queries for the fleet audit: one paged query per resource type instead of
 * walking ARM resource by resource. Every query projects the raw ARM shape (`properties`), so the
 * same readers work on Resource Graph rows and on ARM GET responses.
 */

export interface Selection {
  readonly subscriptions: readonly string[];
  readonly managementGroups: readonly string[];
  readonly resourceGroups: readonly string[];
  /** `key=value` tag filters, all of which must match (VMs only). */
  readonly tags: readonly { key: string; value: string }[];
}

const PROJECT = "| project id, name, type, resourceGroup, subscriptionId, location, tags, sku, properties";

/** KQL string literal: single quotes, backslash-escaped. */
export function kql(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

export function vmQuery(sel: Selection): string {
  const parts = ["Resources", "| where type =~ 'microsoft.compute/virtualmachines'"];
  if (sel.resourceGroups.length > 0)
    parts.push(`| where resourceGroup in~ (${sel.resourceGroups.map(kql).join(", ")})`);
  for (const t of sel.tags) parts.push(`| where tostring(tags[${kql(t.key)}]) =~ ${kql(t.value)}`);
  parts.push(PROJECT, "| order by id asc");
  return parts.join("\n");
}

export type GraphType =
  | "microsoft.network/networkinterfaces"
  | "microsoft.network/virtualnetworks"
  | "microsoft.network/networksecuritygroups"
  | "microsoft.network/publicipaddresses";

export function typeQuery(type: GraphType): string {
  return ["Resources", `| where type =~ '${type}'`, PROJECT, "| order by id asc"].join("\n");
}

// Locks are not in Resource Graph: they are read from the Management Locks API (src/azure/locks.ts).
