import { BoundedCache } from "../cache";
import { IntervalSet, normalize } from "./intervals";

/** TCP/UDP destination ports as half-open intervals over 0..65536. */
export type PortSet = IntervalSet<number>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const SINGLE = /^\d{1,5}$/;
const RANGE = /^(\d{1,5})\s*-\s*(\d{1,5})$/;

/**
 * Parses one Azure port expression: `*`, `Any`, `3389`, `3000-4000`, or a list of those separated by
 * commas or spaces (`"3389, 3390-3391"`, which some exporters and the ALZ bug reports use).
 * Anything else (`33a89`, `70000`, `4000-3000`) is rejected with a reason, never guessed.
 */
const cache = new BoundedCache<string, ParseResult<PortSet>>(10_000);

export function parsePortSpec(raw: string): ParseResult<PortSet> {
  return cache.lookup(raw) ?? cache.store(raw, parsePortSpecUncached(raw));
}

function parsePortSpecUncached(raw: string): ParseResult<PortSet> {
  const text = raw.trim();
  if (text === "") return { ok: false, reason: "empty port specification" };
  const parts = text
    .replace(/\s*-\s*/g, "-")
    .split(/[\s,]+/)
    .filter((p) => p !== "");
  const out: [number, number][] = [];
  for (const part of parts) {
    if (part === "*" || part.toLowerCase() === "any") {
      out.push([0, 65536]);
      continue;
    }
    if (SINGLE.test(part)) {
      const n = Number(part);
      if (n > 65535) return { ok: false, reason: `port ${part} is above 65535` };
      out.push([n, n + 1]);
      continue;
    }
    const m = RANGE.exec(part);
    if (m) {
      const lo = Number(m[1]);
      const hi = Number(m[2]);
      if (lo > 65535 || hi > 65535) return { ok: false, reason: `port range ${part} goes above 65535` };
      if (lo > hi) return { ok: false, reason: `port range ${part} is reversed` };
      out.push([lo, hi + 1]);
      continue;
    }
    return { ok: false, reason: `'${part}' is not a port, a port range or '*'` };
  }
  return { ok: true, value: normalize(out) };
}
