/** Resource Graph rows, typed only as far as the audit reads them. */
export interface GraphRow {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly resourceGroup?: string;
  readonly subscriptionId?: string;
  readonly location?: string;
  readonly tags?: Record<string, string> | null;
  readonly sku?: { name?: string; tier?: string } | null;
  readonly properties?: Record<string, unknown> | null;
}

/** What the audit needs from `virtualMachines/instanceView`. */
export interface InstanceView {
  readonly statuses?: readonly { code?: string; displayStatus?: string; message?: string }[];
  readonly vmAgent?: {
    readonly vmAgentVersion?: string;
    readonly statuses?: readonly { code?: string; displayStatus?: string; message?: string; time?: string | Date }[];
  };
  readonly extensions?: readonly {
    readonly name?: string;
    readonly type?: string;
    readonly typeHandlerVersion?: string;
    readonly statuses?: readonly { code?: string; displayStatus?: string; message?: string; time?: string | Date }[];
    readonly substatuses?: readonly { code?: string; displayStatus?: string; message?: string; time?: string | Date }[];
  }[];
}

export function get(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function lower(id: unknown): string {
  return typeof id === "string" ? id.toLowerCase() : "";
}
