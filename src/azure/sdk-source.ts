import type { TokenCredential } from "@azure/core-auth";
import { ComputeManagementClient } from "@azure/arm-compute";
import { ResourceGraphClient } from "@azure/arm-resourcegraph";
import { FleetSource } from "./source";
import { GraphRow, InstanceView } from "./model";
import { Selection } from "./queries";

export interface SdkSourceOptions {
  readonly credential: TokenCredential;
  /** ARM endpoint (sovereign clouds, Azure Stack, or a test server); default public Azure. */
  readonly endpoint?: string;
  /** Extra CA certificates (PEM) to trust, e.g. a TLS-inspecting proxy's. */
  readonly ca?: string;
  /** Resource Graph page size (max 1000). */
  readonly pageSize?: number;
  /** Waits are injectable so tests need not sleep for real. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** "hh:mm:ss" from x-ms-user-quota-resets-after, in milliseconds. */
export function parseResetAfter(v: string | undefined): number {
  const m = /^(\d+):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(v ?? "");
  return m ? ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 : 0;
}

/**
 * The live fleet source on the Azure SDK for JavaScript. Resource Graph pages are followed with
 * skipToken; its per-user quota headers are honoured (when the quota is spent the next query waits
 * for the reset); 429s with Retry-After are retried by the SDK's throttling policy.
 */
export class SdkFleetSource implements FleetSource {
  private readonly graph: ResourceGraphClient;
  private readonly compute = new Map<string, ComputeManagementClient>();
  private quotaResetAt = 0;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Counters for progress and benchmarks. */
  readonly stats = { graphPages: 0, instanceViews: 0, quotaWaits: 0 };

  constructor(private readonly opts: SdkSourceOptions) {
    this.graph = new ResourceGraphClient(opts.credential, this.clientOptions());
    this.sleep = opts.sleep ?? realSleep;
  }

  private clientOptions() {
    return {
      ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
      ...(this.opts.ca ? { tlsOptions: { ca: this.opts.ca } } : {}),
      retryOptions: { maxRetries: 8, retryDelayInMs: 500, maxRetryDelayInMs: 30_000 },
    };
  }

  async query(query: string, sel: Selection): Promise<GraphRow[]> {
    const rows: GraphRow[] = [];
    let skipToken: string | undefined;
    do {
      const wait = this.quotaResetAt - Date.now();
      if (wait > 0) {
        this.stats.quotaWaits++;
        await this.sleep(wait);
      }
      const res = await this.graph.resources({
        query,
        ...(sel.managementGroups.length > 0 ? { managementGroups: [...sel.managementGroups] } : { subscriptions: [...sel.subscriptions] }),
        options: { resultFormat: "objectArray", top: this.opts.pageSize ?? 1000, ...(skipToken ? { skipToken } : {}) },
      }, {
        onResponse: (raw) => {
          const remaining = raw.headers.get("x-ms-user-quota-remaining");
          if (remaining !== undefined && Number(remaining) <= 0) this.quotaResetAt = Date.now() + parseResetAfter(raw.headers.get("x-ms-user-quota-resets-after"));
        },
      });
      this.stats.graphPages++;
      if (!Array.isArray(res.data)) throw new Error("Resource Graph returned no rows array (expected resultFormat objectArray)");
      rows.push(...(res.data as GraphRow[]));
      skipToken = res.skipToken;
    } while (skipToken);
    return rows;
  }

  async instanceView(subscriptionId: string, resourceGroup: string, vmName: string): Promise<InstanceView> {
    let client = this.compute.get(subscriptionId);
    if (!client) {
      client = new ComputeManagementClient(this.opts.credential, subscriptionId, this.clientOptions());
      this.compute.set(subscriptionId, client);
    }
    this.stats.instanceViews++;
    return (await client.virtualMachines.instanceView(resourceGroup, vmName)) as InstanceView;
  }
}

/** A bearer token from the environment (e.g. `az account get-access-token --query accessToken -o tsv`). */
export function staticTokenCredential(token: string): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }) };
}
