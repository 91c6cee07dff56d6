import type { ServerResponse } from "node:http";
import type { GraphRow } from "../../src/azure/model";
import { validateRequest } from "./arm-schema";

/*
 * Resource Graph route of the fake ARM server (POST /providers/Microsoft.ResourceGraph/resources).
 * Each rule cites its source.
 */

export interface FakeGraphOptions {
  /** Per-user quota: queries allowed per window (docs: "at most 15 queries within every 5-second window"). */
  readonly graphQuota?: { perWindow: number; windowMs: number };
  /** Answer every Nth Resource Graph request with 429 (quota headers only, as the service does). */
  readonly throttleEvery?: number;
  /** Report the user quota as spent (remaining 0) on every Nth 200 answer; resets after 1 s. */
  readonly quotaSpentEvery?: number;
  /** Return the same $skipToken forever (a looping service) for queries of this type. */
  readonly repeatSkipToken?: boolean;
  /** Seconds announced in x-ms-user-quota-resets-after on a 429 (default: until the window frees). */
  readonly resetsAfterSeconds?: number;
}

export interface FakeGraphStats {
  graphRequests: number;
  throttled: number;
  /** For each throttled request: how long until the client retried (ms). */
  retryGaps: number[];
  /** Largest $top asked for. */
  maxTop: number;
  /** api-version of each request. */
  apiVersions: Set<string>;
}

const hms = (ms: number): string => {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60].map((n) => String(n).padStart(2, "0")).join(":");
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/*
 * Tables of Resource Graph
 * (https://learn.microsoft.com/azure/governance/resource-graph/reference/supported-tables-resources).
 * Management locks are in none of them: microsoft.authorization/locks rows never come out of the
 * fake, whatever the query (issue 11; the Locks API serves them, see fake-locks.ts).
 */
const TABLES = new Set([
  "resources",
  "resourcecontainers",
  "advisorresources",
  "alertsmanagementresources",
  "authorizationresources",
  "extendedlocationresources",
  "guestconfigurationresources",
  "healthresources",
  "kubernetesconfigurationresources",
  "maintenanceresources",
  "networkresources",
  "patchassessmentresources",
  "patchinstallationresources",
  "policyresources",
  "recoveryservicesresources",
  "securityresources",
  "servicehealthresources",
]);

/**
 * Error for a query naming a table the service does not know. Envelope as the service answers an
 * invalid query (BadRequest with an InvalidQuery detail; seen in scautomation/AzureResourceGraph-Examples#2
 * and microsoft/ARI#237); the KQL message text as reported in grafana/grafana#85399 ("(KS204)").
 */
function unknownTable(table: string): unknown {
  return {
    error: {
      code: "BadRequest",
      message:
        `Please provide below info when asking for support: timestamp = ${new Date().toISOString()}, ` +
        "correlationId = 00000000-0000-0000-0000-000000000000.",
      details: [
        {
          code: "InvalidQuery",
          message:
            "Query is invalid. Please refer to the documentation for the Azure Resource Graph service " +
            "and fix the error before retrying.",
        },
        {
          code: "Default",
          message: `The name '${table}' does not refer to any known table, tabular variable or function.(KS204)`,
        },
      ],
    },
  };
}

/** Applies the filters the audit's KQL uses (type, resource groups, tags, subscriptions). */
function filterRows(rows: readonly GraphRow[], query: string, subscriptions: string[] | undefined): GraphRow[] {
  const type = /type =~ '([^']+)'/.exec(query)?.[1]?.toLowerCase();
  const groups = /resourceGroup in~ \(([^)]*)\)/
    .exec(query)?.[1]
    ?.split(",")
    .map((g) => g.trim().slice(1, -1).toLowerCase());
  const tags = [...query.matchAll(/tostring\(tags\['([^']+)'\]\) =~ '([^']*)'/g)].map((m) => ({
    key: m[1]!,
    value: m[2]!.toLowerCase(),
  }));
  const subs = subscriptions?.map((s) => s.toLowerCase());
  return rows
    .filter((r) => r.type.toLowerCase() !== "microsoft.authorization/locks")
    .filter((r) => r.type.toLowerCase() === type)
    .filter((r) => !groups || groups.includes((r.resourceGroup ?? "").toLowerCase()))
    .filter((r) => tags.every((t) => (r.tags?.[t.key] ?? "").toLowerCase() === t.value))
    .filter((r) => !subs || subs.includes((r.subscriptionId ?? "").toLowerCase()))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export class FakeGraph {
  readonly stats: FakeGraphStats = { graphRequests: 0, throttled: 0, retryGaps: [], maxTop: 0, apiVersions: new Set() };
  private readonly throttledAt = new Map<string, number>();
  private readonly sent = new Map<string, number[]>();

  constructor(
    private readonly rows: () => readonly GraphRow[],
    private readonly opts: FakeGraphOptions = {},
  ) {}

  handle(user: string, body: string, res: ServerResponse, apiVersion = ""): void {
    this.stats.graphRequests++;
    this.stats.apiVersions.add(apiVersion);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return send(res, 400, {
        error: {
          code: "InvalidRequestContent",
          message: "The request content was invalid and could not be deserialized.",
        },
      });
    }
    // The body must match QueryRequest (vendored resourcegraph.json, see arm-schema.ts); the service answers 400.
    const invalid = validateRequest("graphQuery", parsed);
    if (invalid)
      return send(res, 400, { error: { code: "BadRequest", message: `The query request is invalid: ${invalid}` } });
    const req = parsed as {
      query: string;
      subscriptions?: string[];
      options?: { $skipToken?: string; $top?: number };
    };
    const now = Date.now();
    const key = `${req.query}|${req.options?.$skipToken ?? ""}`;
    const was = this.throttledAt.get(key);
    if (was !== undefined) {
      this.stats.retryGaps.push(now - was);
      this.throttledAt.delete(key);
    }

    // Per-user quota window (guidance-for-throttled-requests: 15 queries per 5 s per user). Every
    // answer carries x-ms-user-quota-remaining / x-ms-user-quota-resets-after; a 429 carries only
    // those, no Retry-After (same page; issue 11 section 1).
    const quota = this.opts.graphQuota ?? { perWindow: 15, windowMs: 5000 };
    const times = (this.sent.get(user) ?? []).filter((t) => t > now - quota.windowMs);
    const forced =
      was === undefined &&
      this.opts.throttleEvery !== undefined &&
      this.stats.graphRequests % this.opts.throttleEvery === 0;
    if (times.length >= quota.perWindow || forced) {
      this.stats.throttled++;
      this.throttledAt.set(key, now);
      const resetMs =
        this.opts.resetsAfterSeconds !== undefined
          ? this.opts.resetsAfterSeconds * 1000
          : times.length > 0
            ? times[0]! + quota.windowMs - now
            : 1000;
      this.sent.set(user, times);
      return send(
        res,
        429,
        { error: { code: "RateLimiting", message: "Please provide below info when asking for support: ..." } },
        { "x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": hms(resetMs) },
      );
    }
    times.push(now);
    this.sent.set(user, times);

    const table = /^\s*([A-Za-z_]+)/.exec(req.query)?.[1]?.toLowerCase() ?? "";
    if (!TABLES.has(table)) return send(res, 400, unknownTable(table));

    // $top: minimum 1, maximum 1000 (azure-rest-api-specs specification/resourcegraph/resource-manager/
    // Microsoft.ResourceGraph/stable/2021-03-01/resourcegraph.json, QueryRequestOptions.$top).
    const top = req.options?.$top ?? 1000;
    this.stats.maxTop = Math.max(this.stats.maxTop, top);
    if (!Number.isInteger(top) || top < 1 || top > 1000) {
      return send(res, 400, {
        error: {
          code: "BadRequest",
          message: "Please provide below info when asking for support: ...",
          details: [{ code: "InvalidRequestContent", message: `$top must be between 1 and 1000 (was ${top})` }],
        },
      });
    }
    const rows = filterRows(this.rows(), req.query, req.subscriptions);
    const offset = req.options?.$skipToken ? Number(Buffer.from(req.options.$skipToken, "base64").toString()) : 0;
    // Pages hold at most 1,000 rows, continued with $skipToken (same spec, QueryResponse.$skipToken).
    const page = rows.slice(offset, offset + top);
    const nextOffset = this.opts.repeatSkipToken ? top : offset + top;
    const next =
      nextOffset < rows.length || this.opts.repeatSkipToken
        ? Buffer.from(String(nextOffset)).toString("base64")
        : undefined;
    const spent = this.opts.quotaSpentEvery !== undefined && this.stats.graphRequests % this.opts.quotaSpentEvery === 0;
    send(
      res,
      200,
      {
        totalRecords: rows.length,
        count: page.length,
        resultTruncated: "false",
        data: page,
        facets: [],
        ...(next ? { $skipToken: next } : {}),
      },
      {
        "x-ms-user-quota-remaining": spent ? "0" : String(quota.perWindow - times.length),
        "x-ms-user-quota-resets-after": spent ? "00:00:01" : hms(times[0]! + quota.windowMs - now),
      },
    );
  }
}
