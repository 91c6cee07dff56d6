import type * as https from "node:https";
import type { TokenCredential } from "@azure/core-auth";
import { ServiceClient } from "@azure/core-client";
import { createPipelineRequest } from "@azure/core-rest-pipeline";
import { InputError } from "../errors";
import { RetryLimits, useBoundedRetries } from "./throttle";
import { agentPolicy } from "./tls";

/**
 * Management locks, read from the Management Locks API (Resource Graph has no lock rows).
 * One paged list per subscription returns every lock in it, at subscription, resource-group and
 * resource scope; a lock covers its scope and everything below it.
 * Spec: Azure/azure-rest-api-specs specification/resources/resource-manager/Microsoft.Authorization/
 * stable/2020-05-01/locks.json, operation ManagementLocks_ListAtSubscriptionLevel
 * (GET /subscriptions/{subscriptionId}/providers/Microsoft.Authorization/locks, x-ms-pageable nextLink).
 */
export const LOCKS_API_VERSION = "2020-05-01";

export interface ManagementLock {
  readonly id: string;
  readonly name: string;
  /** CanNotDelete, ReadOnly or NotSpecified. */
  readonly level: string;
  readonly notes?: string;
  /** The locked scope (lower case): subscription, resource group or resource id. */
  readonly scope: string;
}

export interface LockReader {
  /** Every lock in the subscription; throws LocksUnreadableError when they cannot be read. */
  subscriptionLocks(subscriptionId: string): Promise<readonly ManagementLock[]>;
}

/** The locks could not be read: callers stop, they never assume "unlocked". */
export class LocksUnreadableError extends InputError {}

export function lockScope(lockId: string): string {
  return lockId.split(/\/providers\/Microsoft\.Authorization\/locks\//i)[0]!.toLowerCase();
}

/** True when `scope` is `id` or one of its ancestors (subscription, resource group, parent resource). */
export function covers(scope: string, id: string): boolean {
  const s = scope.toLowerCase();
  const i = id.toLowerCase();
  return i === s || i.startsWith(`${s}/`);
}

/**
 * What a lock must not cover before rdp-guard touches a VM: the VM, its resource group, its OS and
 * data disks and its NICs (from an ARM VM model or a Resource Graph row's `properties`).
 */
export function vmLockScopes(vmId: string, properties: unknown): string[] {
  const p = (properties ?? {}) as {
    storageProfile?: { osDisk?: { managedDisk?: { id?: string } }; dataDisks?: { managedDisk?: { id?: string } }[] };
    networkProfile?: { networkInterfaces?: { id?: string }[] };
  };
  const rg = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+/i.exec(vmId)?.[0];
  return [
    vmId,
    rg,
    p.storageProfile?.osDisk?.managedDisk?.id,
    ...(p.storageProfile?.dataDisks ?? []).map((d) => d.managedDisk?.id),
    ...(p.networkProfile?.networkInterfaces ?? []).map((n) => n.id),
  ].filter((x): x is string => typeof x === "string" && x.length > 0);
}

/** The locks among `locks` that cover any of `ids`. */
export function locksCovering(locks: readonly ManagementLock[], ids: readonly string[]): ManagementLock[] {
  return locks.filter((l) => ids.some((id) => id && covers(l.scope, id)));
}

export class ArmLockReader implements LockReader {
  private readonly client: ServiceClient;
  private readonly cache = new Map<string, Promise<readonly ManagementLock[]>>();

  constructor(
    credential: TokenCredential,
    private readonly opts: {
      endpoint: string;
      scope: string;
      agent?: https.Agent;
      limits: RetryLimits;
      /** Keep each subscription's list for the run (audit, plan); false reads again each time (repair). */
      cache?: boolean;
    },
  ) {
    this.client = new ServiceClient({
      credential,
      credentialScopes: [opts.scope],
      endpoint: opts.endpoint,
    } as ConstructorParameters<typeof ServiceClient>[0]);
    useBoundedRetries(this.client.pipeline, opts.limits);
    if (opts.agent) this.client.pipeline.addPolicy(agentPolicy(opts.agent));
  }

  subscriptionLocks(subscriptionId: string): Promise<readonly ManagementLock[]> {
    if (this.opts.cache === false) return this.list(subscriptionId);
    let p = this.cache.get(subscriptionId.toLowerCase());
    if (!p) this.cache.set(subscriptionId.toLowerCase(), (p = this.list(subscriptionId)));
    return p;
  }

  private async list(subscriptionId: string): Promise<ManagementLock[]> {
    const base = this.opts.endpoint.replace(/\/+$/, "");
    let url: string | undefined =
      `${base}/subscriptions/${encodeURIComponent(subscriptionId)}/providers/Microsoft.Authorization/locks` +
      `?api-version=${LOCKS_API_VERSION}`;
    const out: ManagementLock[] = [];
    const seen = new Set<string>();
    while (url) {
      if (seen.has(url))
        throw new LocksUnreadableError(
          `cannot read management locks of subscription ${subscriptionId}: the list repeats its nextLink`,
        );
      seen.add(url);
      let res;
      try {
        res = await this.client.sendRequest(createPipelineRequest({ url, method: "GET" }));
      } catch (e) {
        throw new LocksUnreadableError(
          `cannot read management locks of subscription ${subscriptionId}: ${(e as Error).message.split("\n")[0]}`,
        );
      }
      let body: { value?: unknown; nextLink?: unknown; error?: { code?: string; message?: string } } = {};
      try {
        body = JSON.parse(res.bodyAsText ?? "{}") as typeof body;
      } catch {
        // reported below
      }
      if (res.status !== 200 || !Array.isArray(body.value)) {
        const why = body.error
          ? `${res.status} ${body.error.code ?? ""}: ${body.error.message ?? ""}`
          : `${res.status} (no lock list)`;
        throw new LocksUnreadableError(
          `cannot read management locks of subscription ${subscriptionId} (${why.trim()}); ` +
            "rdp-guard never assumes a VM is unlocked: " +
            "grant Microsoft.Authorization/locks/read (e.g. Reader) and run again",
        );
      }
      for (const l of body.value as {
        id?: unknown;
        name?: unknown;
        properties?: { level?: unknown; notes?: unknown };
      }[]) {
        if (typeof l.id !== "string") continue;
        out.push({
          id: l.id,
          name: String(l.name ?? l.id.split("/").pop()),
          level: String(l.properties?.level ?? "NotSpecified"),
          notes: typeof l.properties?.notes === "string" ? l.properties.notes : undefined,
          scope: lockScope(l.id),
        });
      }
      url = typeof body.nextLink === "string" && body.nextLink ? body.nextLink : undefined;
    }
    return out;
  }
}
