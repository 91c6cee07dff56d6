import type * as https from "node:https";
import type { TokenCredential } from "@azure/core-auth";
import type { Pipeline, PipelinePolicy } from "@azure/core-rest-pipeline";
import { ComputeManagementClient } from "@azure/arm-compute";
import { ResourceGraphClient } from "@azure/arm-resourcegraph";
import { InputError } from "../errors";
import { CLOUDS, Cloud, RESOURCE_GRAPH_API_VERSION } from "./clouds";
import { ArmLockReader, ManagementLock } from "./locks";
import { agentFor, agentPolicy } from "./tls";

export { agentFor, trustedRoots } from "./tls";
import { FleetSource } from "./source";
import { GraphRow, InstanceView } from "./model";
import { Selection } from "./queries";
import { DEFAULT_LIMITS, QuotaPacer, RetryLimits, useBoundedRetries } from "./throttle";

export { parseResetAfter } from "./throttle";

export interface SdkSourceOptions {
  readonly credential: TokenCredential;
  /** Cloud (audience); default Azure public cloud. */
  readonly cloud?: Cloud;
  /** ARM endpoint (a proxy or a test server); default the cloud's. */
  readonly endpoint?: string;
  /** Extra CA certificates (PEM) to trust on top of the system roots, e.g. a TLS-inspecting proxy's. */
  readonly ca?: string;
  /** Resource Graph page size (max 1000). */
  readonly pageSize?: number;
  /** Waits are injectable so tests need not sleep for real. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly limits?: Partial<Omit<RetryLimits, "sleep">>;
  /** Progress lines (waits for throttling). */
  readonly onWait?: (line: string) => void;
}

/** Resource Graph's api-version, pinned to one that every cloud serves (see clouds.ts). */
const graphApiVersion: PipelinePolicy = {
  name: "rdpGuardGraphApiVersion",
  sendRequest: (req, next) => {
    req.url = req.url.replace(/([?&]api-version=)[^&]*/, `$1${RESOURCE_GRAPH_API_VERSION}`);
    return next(req);
  },
};

/**
 * The live fleet source on the Azure SDK for JavaScript. Resource Graph pages are followed with
 * $skipToken (a repeated token stops the run); queries are paced to the per-user quota; every call
 * has a timeout and bounded, capped retries (throttle.ts). Locks come from the Locks API.
 */
export class SdkFleetSource implements FleetSource {
  private readonly graph: ResourceGraphClient;
  private readonly compute = new Map<string, ComputeManagementClient>();
  private readonly lockReader: ArmLockReader;
  private readonly limits: RetryLimits;
  private readonly pacer: QuotaPacer;
  readonly cloud: Cloud;
  private readonly endpoint: string;
  /** Keep-alive agent with the system roots plus --ca-file, shared by every client (see agentFor). */
  private readonly agent?: https.Agent;
  /** Counters for progress and benchmarks. */
  readonly stats = { graphPages: 0, instanceViews: 0, quotaWaits: 0 };

  constructor(private readonly opts: SdkSourceOptions) {
    this.cloud = opts.cloud ?? CLOUDS.AzurePublicCloud;
    this.endpoint = opts.endpoint ?? this.cloud.armEndpoint;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits, sleep: opts.sleep ?? DEFAULT_LIMITS.sleep, onWait: opts.onWait };
    this.pacer = new QuotaPacer(this.limits);
    this.agent = opts.ca ? agentFor(opts.ca) : undefined;
    this.graph = new ResourceGraphClient(opts.credential, {
      ...this.clientOptions(),
      credentials: { scopes: [this.cloud.scope] },
    });
    this.tune(this.graph.pipeline);
    this.graph.pipeline.addPolicy(graphApiVersion);
    this.lockReader = new ArmLockReader(opts.credential, {
      endpoint: this.endpoint,
      scope: this.cloud.scope,
      agent: this.agent,
      limits: this.limits,
    });
  }

  private clientOptions() {
    return { endpoint: this.endpoint };
  }

  /** Bounded retries on every client, and the shared agent when there is a --ca-file. */
  private tune(pipeline: Pipeline): void {
    useBoundedRetries(pipeline, this.limits);
    if (this.agent) pipeline.addPolicy(agentPolicy(this.agent));
  }

  async query(query: string, sel: Selection): Promise<GraphRow[]> {
    const rows: GraphRow[] = [];
    const seen = new Set<string>();
    let skipToken: string | undefined;
    do {
      await this.pacer.take();
      this.stats.quotaWaits = this.pacer.waits;
      const scope =
        sel.managementGroups.length > 0
          ? { managementGroups: [...sel.managementGroups] }
          : { subscriptions: [...sel.subscriptions] };
      const res = await this.graph.resources(
        {
          query,
          ...scope,
          options: {
            resultFormat: "objectArray",
            top: Math.min(this.opts.pageSize ?? 1000, 1000),
            ...(skipToken ? { skipToken } : {}),
          },
        },
        { onResponse: (raw) => this.pacer.observe(raw.headers) },
      );
      this.stats.graphPages++;
      if (!Array.isArray(res.data))
        throw new Error("Resource Graph returned no rows array (expected resultFormat objectArray)");
      rows.push(...(res.data as GraphRow[]));
      skipToken = res.skipToken || undefined;
      if (skipToken !== undefined) {
        if (seen.has(skipToken)) {
          throw new InputError(
            `Resource Graph returned the same $skipToken twice (after ${rows.length} rows of ` +
              `'${query.split("\n")[1] ?? query}'): stopping instead of looping`,
          );
        }
        seen.add(skipToken);
      }
    } while (skipToken);
    return rows;
  }

  async instanceView(subscriptionId: string, resourceGroup: string, vmName: string): Promise<InstanceView> {
    let client = this.compute.get(subscriptionId);
    if (!client) {
      client = new ComputeManagementClient(this.opts.credential, subscriptionId, {
        ...this.clientOptions(),
        credentials: { scopes: [this.cloud.scope] },
      });
      this.tune(client.pipeline);
      this.compute.set(subscriptionId, client);
    }
    this.stats.instanceViews++;
    return (await client.virtualMachines.instanceView(resourceGroup, vmName)) as InstanceView;
  }

  subscriptionLocks(subscriptionId: string): Promise<readonly ManagementLock[]> {
    return this.lockReader.subscriptionLocks(subscriptionId);
  }
}

/** A bearer token from the environment (e.g. `az account get-access-token --query accessToken -o tsv`). */
export function staticTokenCredential(token: string): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }) };
}
