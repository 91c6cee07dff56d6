import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/*
 * Long-running operations as ARM runs them
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations,
 * and the "Long-running operations" section of the Azure REST API guidelines,
 * https://github.com/microsoft/api-guidelines/blob/vNext/azure/Guidelines.md#long-running-operations--jobs):
 * - the first answer is 201 (PUT that creates), 200 (PUT/PATCH that updates) or 202 (POST, DELETE), with an
 *   Azure-AsyncOperation header (status monitor) and, for 202, a Location header (result);
 * - the status monitor answers {status: "InProgress"} until the operation ends in "Succeeded" or "Failed"
 *   (with {error: {code, message}});
 * - the Location URL answers 202 while the operation runs, then 200 (Compute's POST actions expect 200/201/202),
 *   or the failure's status and error body.
 * Compute's monitors live under /subscriptions/{sub}/providers/Microsoft.Compute/locations/{loc}/operations/{id}
 * (see the Azure-AsyncOperation headers in the virtualMachine examples of azure-rest-api-specs).
 */

export interface ArmError {
  code: string;
  message: string;
}
export type Outcome = { ok: true } | { ok: false; status: number; error: ArmError };

interface Operation {
  pollsLeft: number;
  /** Runs once, when the operation reaches its end; decides Succeeded or Failed. */
  finish: () => Outcome;
  outcome?: Outcome;
}

export interface LroStats {
  started: number;
  inProgressAnswers: number;
}

const MONITOR =
  /^\/subscriptions\/([^/]+)\/providers\/([^/]+)\/locations\/([^/]+)\/(operations|operationResults)\/([^/]+)$/i;

export class LroTracker {
  private readonly ops = new Map<string, Operation>();
  readonly stats: LroStats = { started: 0, inProgressAnswers: 0 };

  /** @param polls how many status reads answer InProgress before the operation ends. */
  constructor(private polls = 2) {}

  /**
   * Seconds each InProgress answer asks the client to wait before the next poll (ARM's Retry-After on
   * status answers, see the async-operations page above); none when undefined.
   */
  retryAfter?: number;

  setPolls(n: number): void {
    this.polls = n;
  }

  /** Starts an operation and returns the headers that announce it. */
  start(
    sub: string,
    namespace: string,
    location: string,
    finish: () => Outcome,
    withLocation: boolean,
  ): Record<string, string> {
    const id = randomUUID();
    this.ops.set(id, { pollsLeft: this.polls, finish });
    this.stats.started++;
    const base = `/subscriptions/${sub}/providers/${namespace}/locations/${location}`;
    return {
      "Azure-AsyncOperation": `${base}/operations/${id}?api-version=2024-11-01`,
      ...(withLocation ? { Location: `${base}/operationResults/${id}?api-version=2024-11-01` } : {}),
    };
  }

  private advance(op: Operation): Outcome | undefined {
    if (op.outcome) return op.outcome;
    if (op.pollsLeft > 0) {
      op.pollsLeft--;
      this.stats.inProgressAnswers++;
      return undefined;
    }
    op.outcome = op.finish();
    return op.outcome;
  }

  /** Ends every running operation now (for tests that inspect state without a client polling). */
  settleAll(): void {
    for (const op of this.ops.values()) if (!op.outcome) op.outcome = op.finish();
  }

  readonly route = (req: IncomingMessage, _body: string, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? "/", "https://x");
    const m = MONITOR.exec(url.pathname);
    if (!m || req.method !== "GET") return false;
    const op = this.ops.get(m[5]!);
    const json = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    if (!op) {
      json(404, { error: { code: "NotFound", message: `operation ${m[5]} not found` } });
      return true;
    }
    const outcome = this.advance(op);
    if (m[4]!.toLowerCase() === "operations") {
      const wait: Record<string, string> = this.retryAfter ? { "Retry-After": String(this.retryAfter) } : {};
      if (!outcome) json(200, { name: m[5], status: "InProgress" }, wait);
      else if (outcome.ok) json(200, { name: m[5], status: "Succeeded" });
      else json(200, { name: m[5], status: "Failed", error: outcome.error });
    } else if (!outcome) {
      json(202, undefined, {
        Location: url.pathname + url.search,
        ...(this.retryAfter ? { "Retry-After": String(this.retryAfter) } : {}),
      });
    } else if (outcome.ok) json(200);
    else json(outcome.status, { error: outcome.error });
    return true;
  };
}
