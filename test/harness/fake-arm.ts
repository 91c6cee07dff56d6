import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, Server } from "node:https";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { GraphRow, InstanceView } from "../../src/azure/model";
import { validateRequest } from "./arm-schema";

/*
 * A local ARM endpoint on 127.0.0.1 (HTTPS: the SDK refuses bearer tokens over plain HTTP) serving
 * recorded-shape Resource Graph and Compute responses. The real SDK clients talk to it; nothing in
 * the SDK is mocked. It pages Resource Graph results with skipToken, sends per-user quota headers,
 * and can answer 429 with Retry-After to exercise throttling.
 */

export interface FakeFleet {
  readonly rows: GraphRow[];
  readonly instanceViews: Map<string, InstanceView>;
}

/** A route plugged into the server (Compute, Locks, Resource Graph, LRO monitors): true when it answered. */
export type ArmRoute = (req: IncomingMessage, body: string, res: ServerResponse) => boolean | Promise<boolean>;

export interface FakeArmOptions {
  /** Answer every Nth Resource Graph request with 429 (Retry-After). */
  readonly throttleEvery?: number;
  /** Milliseconds advertised in x-ms-retry-after-ms with a 429. */
  readonly retryAfterMs?: number;
  /** Artificial latency per request (ms). */
  readonly latencyMs?: number;
  /** Report the user quota as spent every Nth Resource Graph response (resets after 1 s). */
  readonly quotaSpentEvery?: number;
  /** Extra routes, tried in order (e.g. FakeCompute.routes, the Locks and Resource Graph routes). */
  readonly extraRoutes?: ArmRoute | readonly ArmRoute[];
}

export interface FakeArmStats {
  graphRequests: number;
  throttled: number;
  instanceViews: number;
  inFlight: number;
  maxInFlight: number;
  /** For each throttled request: how long until the client retried (ms). */
  retryGaps: number[];
  unauthorized: number;
}

let tlsMaterial: { key: string; cert: string } | undefined;

/** A throwaway self-signed certificate for 127.0.0.1, made with openssl for this test run. */
export function testCertificate(): { key: string; cert: string } {
  if (tlsMaterial) return tlsMaterial;
  const dir = mkdtempSync(path.join(tmpdir(), "fake-arm-tls-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"), "-days", "2",
    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore" });
  tlsMaterial = { key: readFileSync(path.join(dir, "key.pem"), "utf8"), cert: readFileSync(path.join(dir, "cert.pem"), "utf8") };
  return tlsMaterial;
}

/**
 * An ARM error answer: `{ error: { code, message } }`, the shape of ErrorResponse in
 * azure-rest-api-specs common-types/resource-management (and CloudError in Compute's common.json).
 */
export function armError(
  res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {},
): true {
  send(res, status, { error: { code, message } }, headers);
  return true;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** Applies the filters the audit's KQL uses (type, resource groups, tags, subscriptions). */
function filterRows(rows: GraphRow[], query: string, subscriptions: string[] | undefined): GraphRow[] {
  const type = /type =~ '([^']+)'/.exec(query)?.[1]?.toLowerCase();
  const groups = /resourceGroup in~ \(([^)]*)\)/.exec(query)?.[1]?.split(",").map((g) => g.trim().slice(1, -1).toLowerCase());
  const tags = [...query.matchAll(/tostring\(tags\['([^']+)'\]\) =~ '([^']*)'/g)].map((m) => ({ key: m[1]!, value: m[2]!.toLowerCase() }));
  const subs = subscriptions?.map((s) => s.toLowerCase());
  return rows
    .filter((r) => r.type.toLowerCase() === type)
    .filter((r) => !groups || groups.includes((r.resourceGroup ?? "").toLowerCase()))
    .filter((r) => tags.every((t) => (r.tags?.[t.key] ?? "").toLowerCase() === t.value))
    .filter((r) => !subs || subs.includes((r.subscriptionId ?? "").toLowerCase()))
    .sort((a, b) => a.id.localeCompare(b.id));
}

export class FakeArmServer {
  readonly stats: FakeArmStats = { graphRequests: 0, throttled: 0, instanceViews: 0, inFlight: 0, maxInFlight: 0, retryGaps: [], unauthorized: 0 };
  private readonly throttledAt = new Map<string, number>();

  private constructor(private readonly server: Server, readonly url: string, readonly ca: string) {}

  static async start(fleet: FakeFleet, opts: FakeArmOptions = {}): Promise<FakeArmServer> {
    const { key, cert } = testCertificate();
    let self: FakeArmServer | undefined;
    const server = createServer({ key, cert }, (req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        void self!.handle(fleet, opts, req, body, res).catch((e: Error) => send(res, 500, { error: { code: "FakeServerError", message: e.message } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    self = new FakeArmServer(server, `https://127.0.0.1:${port}`, cert);
    return self;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async handle(fleet: FakeFleet, opts: FakeArmOptions, req: IncomingMessage, body: string, res: ServerResponse): Promise<void> {
    if (!/^Bearer \S+/.test(req.headers.authorization ?? "")) {
      this.stats.unauthorized++;
      send(res, 401, { error: { code: "AuthenticationFailed", message: "no bearer token" } });
      return;
    }
    this.stats.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
    try {
      if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
      const url = new URL(req.url ?? "/", "https://x");
      if (req.method === "POST" && /^\/providers\/Microsoft\.ResourceGraph\/resources$/i.test(url.pathname)) return this.graph(fleet, opts, body, res);
      const iv = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)\/instanceView$/i.exec(url.pathname);
      if (req.method === "GET" && iv) {
        this.stats.instanceViews++;
        const id = `/subscriptions/${iv[1]}/resourceGroups/${iv[2]}/providers/Microsoft.Compute/virtualMachines/${iv[3]}`.toLowerCase();
        const view = fleet.instanceViews.get(id);
        if (!view) return send(res, 404, { error: { code: "ResourceNotFound", message: `The Resource '${iv[3]}' was not found.` } });
        return send(res, 200, view);
      }
      const extra = typeof opts.extraRoutes === "function" ? [opts.extraRoutes] : opts.extraRoutes ?? [];
      for (const route of extra) if (await route(req, body, res)) return;
      send(res, 404, { error: { code: "NotFound", message: `${req.method} ${url.pathname} is not served by the fake ARM server` } });
    } finally {
      this.stats.inFlight--;
    }
  }

  private graph(fleet: FakeFleet, opts: FakeArmOptions, body: string, res: ServerResponse): void {
    this.stats.graphRequests++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      armError(res, 400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
      return;
    }
    // The body must match QueryRequest (resourcegraph.json 2024-04-01); Resource Graph answers 400 BadRequest.
    const invalid = validateRequest("graphQuery", parsed);
    if (invalid) {
      armError(res, 400, "BadRequest", `The query request is invalid: ${invalid}`);
      return;
    }
    const req = parsed as {
      query: string; subscriptions?: string[]; options?: { $skipToken?: string; $top?: number; resultFormat?: string };
    };
    const key = `${req.query}|${req.options?.$skipToken ?? ""}`;
    const was = this.throttledAt.get(key);
    if (was !== undefined) {
      this.stats.retryGaps.push(Date.now() - was);
      this.throttledAt.delete(key);
    } else if (opts.throttleEvery && this.stats.graphRequests % opts.throttleEvery === 0) {
      this.stats.throttled++;
      this.throttledAt.set(key, Date.now());
      const ms = opts.retryAfterMs ?? 50;
      send(res, 429, { error: { code: "RateLimiting", message: "Please provide below info when asking for support" } }, { "Retry-After": String(Math.ceil(ms / 1000)), "x-ms-retry-after-ms": String(ms) });
      return;
    }
    const rows = filterRows(fleet.rows, req.query, req.subscriptions);
    const top = Math.min(req.options?.$top ?? 1000, 1000);
    const offset = req.options?.$skipToken ? Number(Buffer.from(req.options.$skipToken, "base64").toString()) : 0;
    const page = rows.slice(offset, offset + top);
    const next = offset + top < rows.length ? Buffer.from(String(offset + top)).toString("base64") : undefined;
    const spent = opts.quotaSpentEvery !== undefined && this.stats.graphRequests % opts.quotaSpentEvery === 0;
    send(res, 200, {
      totalRecords: rows.length, count: page.length, resultTruncated: "false", data: page, facets: [], ...(next ? { $skipToken: next } : {}),
    }, { "x-ms-user-quota-remaining": spent ? "0" : "14", "x-ms-user-quota-resets-after": "00:00:01" });
  }
}
