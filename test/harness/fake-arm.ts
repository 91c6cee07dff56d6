import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, Server } from "node:https";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { GraphRow, InstanceView } from "../../src/azure/model";
import { FakeGraph, FakeGraphOptions } from "./fake-graph";
import { FakeLocks, FakeLocksOptions } from "./fake-locks";

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

/** Resource Graph options: fake-graph.ts; Locks API options: fake-locks.ts. */
export interface FakeArmOptions extends FakeGraphOptions, FakeLocksOptions {
  /** Artificial latency per request (ms). */
  readonly latencyMs?: number;
  /** Extra routes, tried in order (e.g. FakeCompute.routes, the Locks and Resource Graph routes). */
  readonly extraRoutes?: ArmRoute | readonly ArmRoute[];
}

/** Resource Graph counters are in `graph.stats` (fake-graph.ts). */
export interface FakeArmStats {
  instanceViews: number;
  inFlight: number;
  maxInFlight: number;
  unauthorized: number;
}

let tlsMaterial: { key: string; cert: string } | undefined;

/** A throwaway self-signed certificate for 127.0.0.1, made with openssl for this test run. */
export function testCertificate(): { key: string; cert: string } {
  if (tlsMaterial) return tlsMaterial;
  const dir = mkdtempSync(path.join(tmpdir(), "fake-arm-tls-"));
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      path.join(dir, "key.pem"),
      "-out",
      path.join(dir, "cert.pem"),
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  tlsMaterial = {
    key: readFileSync(path.join(dir, "key.pem"), "utf8"),
    cert: readFileSync(path.join(dir, "cert.pem"), "utf8"),
  };
  return tlsMaterial;
}

/**
 * An ARM error answer: `{ error: { code, message } }`, the shape of ErrorResponse in
 * azure-rest-api-specs common-types/resource-management (and CloudError in Compute's common.json).
 */
export function armError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): true {
  send(res, status, { error: { code, message } }, headers);
  return true;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

export class FakeArmServer {
  readonly stats: FakeArmStats = { instanceViews: 0, inFlight: 0, maxInFlight: 0, unauthorized: 0 };
  readonly graph: FakeGraph;
  readonly locks: FakeLocks;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly ca: string,
    fleet: FakeFleet,
    opts: FakeArmOptions,
  ) {
    this.graph = new FakeGraph(() => fleet.rows, opts);
    this.locks = new FakeLocks(() => fleet.rows, opts);
  }

  static async start(fleet: FakeFleet, opts: FakeArmOptions = {}): Promise<FakeArmServer> {
    const { key, cert } = testCertificate();
    // eslint-disable-next-line prefer-const -- the request handler reads it; it is set once the server listens
    let self: FakeArmServer | undefined;
    const server = createServer({ key, cert }, (req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        void self!
          .handle(fleet, opts, req, body, res)
          .catch((e: Error) => send(res, 500, { error: { code: "FakeServerError", message: e.message } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    self = new FakeArmServer(server, `https://127.0.0.1:${port}`, cert, fleet, opts);
    return self;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async handle(
    fleet: FakeFleet,
    opts: FakeArmOptions,
    req: IncomingMessage,
    body: string,
    res: ServerResponse,
  ): Promise<void> {
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
      if (req.method === "POST" && /^\/providers\/Microsoft\.ResourceGraph\/resources$/i.test(url.pathname)) {
        return this.graph.handle(req.headers.authorization ?? "", body, res, url.searchParams.get("api-version") ?? "");
      }
      const iv =
        /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)\/instanceView$/i.exec(
          url.pathname,
        );
      if (req.method === "GET" && iv) {
        this.stats.instanceViews++;
        const id = (
          `/subscriptions/${iv[1]}/resourceGroups/${iv[2]}` + `/providers/Microsoft.Compute/virtualMachines/${iv[3]}`
        ).toLowerCase();
        const view = fleet.instanceViews.get(id);
        if (!view)
          return send(res, 404, {
            error: { code: "ResourceNotFound", message: `The Resource '${iv[3]}' was not found.` },
          });
        return send(res, 200, view);
      }
      const extra = typeof opts.extraRoutes === "function" ? [opts.extraRoutes] : (opts.extraRoutes ?? []);
      for (const route of extra) if (await route(req, body, res)) return;
      if (this.locks.handle(req.method ?? "", url, this.url, res)) return;
      send(res, 404, {
        error: { code: "NotFound", message: `${req.method} ${url.pathname} is not served by the fake ARM server` },
      });
    } finally {
      this.stats.inFlight--;
    }
  }
}
