import type { Pipeline, PipelinePolicy, PipelineResponse } from "@azure/core-rest-pipeline";
import { InputError } from "../errors";

/**
 * Bounded retries for every Azure call rdp-guard makes. Replaces the SDK's default retry policy,
 * which obeys any Retry-After (86400 s included), has no per-request timeout, and gives up on a
 * 429 that carries no Retry-After, which is how Resource Graph throttles.
 */
export interface RetryLimits {
  /** Retries per request after the first attempt. */
  readonly maxRetries: number;
  /** Longest single wait rdp-guard accepts (a longer Retry-After or quota reset fails the run). */
  readonly maxWaitMs: number;
  /** Each attempt is aborted after this long. */
  readonly requestTimeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** One progress line per wait. */
  readonly onWait?: (line: string) => void;
}

export const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const DEFAULT_LIMITS: RetryLimits = {
  maxRetries: 6,
  maxWaitMs: 60_000,
  requestTimeoutMs: 100_000,
  sleep: realSleep,
};

/** "hh:mm:ss" (x-ms-user-quota-resets-after), in milliseconds; undefined when absent or malformed. */
export function parseResetAfter(v: string | undefined): number | undefined {
  const m = /^(\d+):(\d{2}):(\d{2})(\.\d+)?$/.exec(v ?? "");
  if (!m) return undefined;
  return ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3]) + Number(m[4] ?? 0)) * 1000;
}

/**
 * How long the service asked us to wait, and which header said so. ARM: Retry-After (seconds or an
 * HTTP date) and x-ms-retry-after-ms / retry-after-ms
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling).
 * Resource Graph: no Retry-After, only x-ms-user-quota-resets-after
 * (https://learn.microsoft.com/azure/governance/resource-graph/concepts/guidance-for-throttled-requests).
 */
export function serverWait(
  headers: PipelineResponse["headers"],
  now = Date.now(),
): { ms: number; header: string } | undefined {
  for (const h of ["x-ms-retry-after-ms", "retry-after-ms"]) {
    const v = headers.get(h);
    if (v !== undefined && /^\d+(\.\d+)?$/.test(v.trim())) return { ms: Number(v), header: `${h}: ${v}` };
  }
  const ra = headers.get("retry-after");
  if (ra !== undefined) {
    if (/^\d+$/.test(ra.trim())) return { ms: Number(ra) * 1000, header: `Retry-After: ${ra}` };
    const at = Date.parse(ra);
    if (Number.isFinite(at)) return { ms: Math.max(0, at - now), header: `Retry-After: ${ra}` };
  }
  const reset = parseResetAfter(headers.get("x-ms-user-quota-resets-after"));
  if (reset !== undefined)
    return { ms: reset, header: `x-ms-user-quota-resets-after: ${headers.get("x-ms-user-quota-resets-after")}` };
  return undefined;
}

/** Resource Graph's documented per-user window when a 429 names none: 5 s (see serverWait). */
const GRAPH_WINDOW_MS = 5_000;

function isRetriableStatus(s: number): boolean {
  return s === 429 || s === 408 || (s >= 500 && s !== 501 && s !== 505);
}

function what(url: string, method: string): string {
  const u = new URL(url);
  return `${method} ${u.host}${u.pathname}`;
}

/**
 * A long-running operation's answers may carry Retry-After as the delay before the next status poll, and
 * the SDK's poller obeys it as is (@azure/core-lro parseRetryAfter). A delay over the cap is dropped, so the
 * poller keeps its own interval: the operation still completes, and a throttled poll is retried as above.
 */
function capPollDelay(response: PipelineResponse, limits: RetryLimits): PipelineResponse {
  if (response.status >= 300) return response;
  const asked = serverWait(response.headers);
  if (asked && asked.ms > limits.maxWaitMs) {
    for (const h of ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"]) response.headers.delete(h);
    limits.onWait?.(
      `${what(response.request.url, response.request.method)}: ignoring ${asked.header} on a status answer ` +
        `(more than ${limits.maxWaitMs / 1000} s); polling at the usual interval`,
    );
  }
  return response;
}

export function boundedRetryPolicy(limits: RetryLimits): PipelinePolicy {
  return {
    name: "rdpGuardBoundedRetry",
    async sendRequest(request, next) {
      for (let attempt = 0; ; attempt++) {
        request.timeout = limits.requestTimeoutMs;
        let response: PipelineResponse | undefined;
        let error: unknown;
        try {
          response = await next(request);
        } catch (e) {
          // A 4xx/5xx surfaces as a response; a throw is a network error or our timeout.
          if ((e as { name?: string }).name === "AbortError" && request.abortSignal?.aborted) throw e;
          error = e;
        }
        if (response && !isRetriableStatus(response.status)) return capPollDelay(response, limits);
        const where = what(request.url, request.method);
        if (attempt >= limits.maxRetries) {
          if (response) return response;
          const timedOut = /abort|timeout/i.test(String((error as Error)?.message ?? error));
          throw new InputError(
            timedOut
              ? `${where}: no answer within ${limits.requestTimeoutMs / 1000} s, ${attempt + 1} attempts`
              : `${where}: ${(error as Error)?.message ?? String(error)} (${attempt + 1} attempts)`,
          );
        }
        const asked = response ? serverWait(response.headers) : undefined;
        const backoff = Math.min(limits.maxWaitMs, 500 * 2 ** attempt);
        const ms =
          asked?.ms ?? (response?.status === 429 && /ResourceGraph/i.test(request.url) ? GRAPH_WINDOW_MS : backoff);
        if (ms > limits.maxWaitMs) {
          throw new InputError(
            `${where}: Azure asked to wait ${Math.ceil(ms / 1000)} s (${asked?.header}) before retrying; ` +
              `rdp-guard waits at most ${limits.maxWaitMs / 1000} s per retry: try again later`,
          );
        }
        const reason = response ? `${response.status}${asked ? ` (${asked.header})` : ""}` : "no answer";
        limits.onWait?.(
          `${where}: ${reason}; waiting ${(ms / 1000).toFixed(1)} s (retry ${attempt + 1}/${limits.maxRetries})`,
        );
        await limits.sleep(ms);
      }
    },
  };
}

/** Swaps the SDK's default retry policy for the bounded one. */
export function useBoundedRetries(pipeline: Pipeline, limits: RetryLimits): void {
  pipeline.removePolicy({ name: "defaultRetryPolicy" });
  pipeline.addPolicy(boundedRetryPolicy(limits), { phase: "Retry" });
}

/**
 * Client-side pacing for Resource Graph: at most `perWindow` queries per `windowMs` (the documented
 * per-user quota is 15 per 5 s), plus any reset the service announces with
 * x-ms-user-quota-remaining: 0. Both waits are capped like every other wait.
 */
export class QuotaPacer {
  private readonly sent: number[] = [];
  private resetAt = 0;
  waits = 0;

  constructor(
    private readonly limits: RetryLimits,
    private readonly perWindow = 15,
    private readonly windowMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async take(): Promise<void> {
    const t = this.now();
    while (this.sent.length > 0 && this.sent[0]! <= t - this.windowMs) this.sent.shift();
    const untilWindow = this.sent.length >= this.perWindow ? this.sent[0]! + this.windowMs - t : 0;
    const wait = Math.max(untilWindow, this.resetAt - t);
    if (wait > this.limits.maxWaitMs) {
      throw new InputError(
        `Resource Graph quota resets in ${Math.ceil(wait / 1000)} s, ` +
          `more than the ${this.limits.maxWaitMs / 1000} s rdp-guard waits: try again later`,
      );
    }
    if (wait > 0) {
      this.waits++;
      this.limits.onWait?.(`Resource Graph: per-user quota spent; waiting ${(wait / 1000).toFixed(1)} s`);
      await this.limits.sleep(wait);
      this.resetAt = 0;
    }
    // Stamp the slot as taken at the end of the wait, so a sleep that returns early cannot loop.
    this.sent.push(Math.max(this.now(), t + wait));
  }

  /** Reads the quota headers of a Resource Graph answer. */
  observe(headers: PipelineResponse["headers"]): void {
    const remaining = headers.get("x-ms-user-quota-remaining");
    const reset = parseResetAfter(headers.get("x-ms-user-quota-resets-after"));
    if (remaining !== undefined && Number(remaining) <= 0 && reset !== undefined) this.resetAt = this.now() + reset;
  }
}
