import ipaddr from "ipaddr.js";
import { IntervalSet, intersect, isEmpty, normalize, overlaps, sizeOf, sizeOfBig, subtract, union } from "./intervals";
import { BoundedCache, WeakCache, memoByPair } from "../cache";
import { ParseResult } from "./ports";

/**
 * A set of traffic sources: IPv4 and IPv6 address intervals plus named atoms for sources that are
 * not address ranges we can see (the VirtualNetwork and AzureLoadBalancer tags, application security
 * groups). Atoms form a finite set or, for `*`, a cofinite one ("every atom except ...").
 */
export interface AddressSet {
  readonly v4: IntervalSet<number>;
  readonly v6: IntervalSet<bigint>;
  readonly atoms: AtomSet;
}

export type AtomSet =
  | { readonly kind: "some"; readonly items: ReadonlySet<string> }
  | { readonly kind: "allBut"; readonly items: ReadonlySet<string> };

const V4_END = 2 ** 32;
const V6_END = 1n << 128n;
const NO_ATOMS: AtomSet = { kind: "some", items: new Set() };
const ALL_ATOMS: AtomSet = { kind: "allBut", items: new Set() };

export const EMPTY: AddressSet = { v4: [], v6: [], atoms: NO_ATOMS };
export const ANY: AddressSet = { v4: [[0, V4_END]], v6: [[0n, V6_END]], atoms: ALL_ATOMS };

/** Address space that is not reachable from the public Internet (never counted as exposure). */
const NON_PUBLIC_V4 = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "224.0.0.0/4",
  "240.0.0.0/4",
];
const NON_PUBLIC_V6 = ["::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8"];

export const PUBLIC: AddressSet = {
  v4: subtract<number>([[0, V4_END]], normalize(NON_PUBLIC_V4.map((c) => cidrToV4(c)))),
  v6: subtract<bigint>([[0n, V6_END]], normalize(NON_PUBLIC_V6.map((c) => cidrToV6(c)))),
  atoms: NO_ATOMS,
};

/** Service tags that never carry Internet traffic. */
const INTERNAL_TAGS = new Map<string, string>([
  ["virtualnetwork", "VirtualNetwork"],
  ["virtual_network", "VirtualNetwork"],
  ["azureloadbalancer", "AzureLoadBalancer"],
  ["azure_loadbalancer", "AzureLoadBalancer"],
]);

/** Literals that mean "every source" of both families. */
const ANY_LITERALS = new Set(["*", "any"]);
const ALL_V4: AddressSet = { v4: [[0, V4_END]], v6: [], atoms: NO_ATOMS };
const ALL_V6: AddressSet = { v4: [], v6: [[0n, V6_END]], atoms: NO_ATOMS };
/** Exact spellings of one whole family. */
const FAMILY_LITERALS = new Map<string, AddressSet>([
  ["0.0.0.0/0", ALL_V4],
  ["::/0", ALL_V6],
]);
/**
 * Spellings users mean as "anything" that are not what they say: `0.0.0.0` and `::` are single
 * addresses, `0/0` and `/0` no CIDR at all. What Azure makes of them is uncertain.
 */
const UNCERTAIN_ANY = new Set(["0.0.0.0", "::", "0/0", "/0"]);

/**
 * Which side of the verdict a value is on. When a value is uncertain, the engine over-approximates
 * Allow sources (they may admit everything they could mean) and under-approximates Deny sources
 * (they hide only what they provably cover), so uncertainty can only add findings, never hide one.
 */
export type Role = "allow" | "deny";

export type SourceKind =
  "any" | "internet" | "internet-equivalent" | "internal-tag" | "address" | "asg" | "trusted-tag" | "uncertain";

export interface ParsedSource {
  readonly set: AddressSet;
  readonly kind: SourceKind;
  /** The spelling users wrote, kept for messages. */
  readonly text: string;
}

/**
 * Parses one `sourceAddressPrefix`-style value. Case and surrounding whitespace do not matter.
 * Unknown service tags are rejected (reported as unevaluable) unless listed in `trustedTags`.
 */
const NO_TAGS: ReadonlySet<string> = new Set();
/** Fleets repeat the same prefixes endlessly; results are immutable, so they are memoized per trusted-tag set. */
type ParseCache = BoundedCache<string, ParseResult<ParsedSource>>;
const parseCache = new WeakCache<ReadonlySet<string>, Record<Role, ParseCache>>();
const newCaches = (): Record<Role, ParseCache> => ({ allow: new BoundedCache(50_000), deny: new BoundedCache(50_000) });

export function parseAddress(
  raw: string,
  trustedTags: ReadonlySet<string> = NO_TAGS,
  role: Role = "allow",
): ParseResult<ParsedSource> {
  const cache = parseCache.get(trustedTags, newCaches)[role];
  return cache.lookup(raw) ?? cache.store(raw, parseAddressUncached(raw, trustedTags, role));
}

function parseAddressUncached(raw: string, trustedTags: ReadonlySet<string>, role: Role): ParseResult<ParsedSource> {
  const text = raw.trim();
  const lower = text.toLowerCase();
  if (text === "") return { ok: false, reason: "empty address prefix" };
  if (ANY_LITERALS.has(lower)) return { ok: true, value: { set: ANY, kind: "any", text } };
  const family = FAMILY_LITERALS.get(lower);
  if (family) return { ok: true, value: { set: family, kind: "any", text } };
  if (UNCERTAIN_ANY.has(lower)) {
    if (role === "allow") return { ok: true, value: { set: ANY, kind: "any", text } };
    const single = lower === "0.0.0.0" || lower === "::" ? parseIp(text) : undefined;
    return { ok: true, value: { set: single?.ok ? single.value : EMPTY, kind: "uncertain", text } };
  }
  if (lower === "internet") return { ok: true, value: { set: PUBLIC, kind: "internet", text } };
  // AzureCloud covers every Azure customer's public IPs: anyone can rent a VM inside it. Which
  // addresses it holds changes weekly, so a Deny from it hides nothing for sure.
  if (lower === "azurecloud" || lower.startsWith("azurecloud.")) {
    return {
      ok: true,
      value: {
        set: role === "allow" ? PUBLIC : EMPTY,
        kind: role === "allow" ? "internet-equivalent" : "uncertain",
        text,
      },
    };
  }
  const internal = INTERNAL_TAGS.get(lower);
  if (internal) return { ok: true, value: { set: atom(`tag:${internal.toLowerCase()}`), kind: "internal-tag", text } };
  if (/^[0-9a-f:.]+(\/\d{1,3})?$/i.test(text) && (text.includes(".") || text.includes(":"))) {
    const r = parseIp(text);
    return r.ok ? { ok: true, value: { set: r.value, kind: "address", text } } : r;
  }
  const range = /^([0-9a-f:.]+)\s*-\s*([0-9a-f:.]+)$/i.exec(text);
  if (range) {
    const r = parseIpRange(range[1]!, range[2]!);
    return r.ok ? { ok: true, value: { set: r.value, kind: "address", text } } : r;
  }
  if (/^[a-z][a-z0-9._-]*$/i.test(text)) {
    if (trustedTags.has(lower)) return { ok: true, value: { set: atom(`tag:${lower}`), kind: "trusted-tag", text } };
    return {
      ok: false,
      reason:
        `unknown service tag '${text}': its address ranges cannot be evaluated ` +
        "(add it to trustedSourcePrefixes if it is trusted)",
    };
  }
  return { ok: false, reason: `'${text}' is not an IP address, CIDR, range or service tag` };
}

/** An application security group is a set of NICs inside the VNet, never Internet sources. */
export function asgSource(id: string): ParsedSource {
  return { set: atom(`asg:${id.toLowerCase()}`), kind: "asg", text: id };
}

function atom(name: string): AddressSet {
  return { v4: [], v6: [], atoms: { kind: "some", items: new Set([name]) } };
}

function parseIp(text: string): ParseResult<AddressSet> {
  try {
    if (text.includes("/")) {
      if (ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) return { ok: true, value: { ...EMPTY, v4: [cidrToV4(text)] } };
      if (ipaddr.IPv6.isValidCIDR(text)) return { ok: true, value: { ...EMPTY, v6: [cidrToV6(text)] } };
      return { ok: false, reason: `'${text}' is not a valid CIDR` };
    }
    if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
      const n = v4ToNumber(ipaddr.IPv4.parse(text));
      return { ok: true, value: { ...EMPTY, v4: [[n, n + 1]] } };
    }
    if (ipaddr.IPv6.isValid(text)) {
      const n = v6ToBig(ipaddr.IPv6.parse(text));
      return { ok: true, value: { ...EMPTY, v6: [[n, n + 1n]] } };
    }
  } catch {
    // fall through to the reason below
  }
  return { ok: false, reason: `'${text}' is not a valid IP address` };
}

function parseIpRange(a: string, b: string): ParseResult<AddressSet> {
  if (ipaddr.IPv4.isValidFourPartDecimal(a) && ipaddr.IPv4.isValidFourPartDecimal(b)) {
    const lo = v4ToNumber(ipaddr.IPv4.parse(a));
    const hi = v4ToNumber(ipaddr.IPv4.parse(b));
    if (lo > hi) return { ok: false, reason: `address range ${a}-${b} is reversed` };
    return { ok: true, value: { ...EMPTY, v4: [[lo, hi + 1]] } };
  }
  if (ipaddr.IPv6.isValid(a) && ipaddr.IPv6.isValid(b)) {
    const lo = v6ToBig(ipaddr.IPv6.parse(a));
    const hi = v6ToBig(ipaddr.IPv6.parse(b));
    if (lo > hi) return { ok: false, reason: `address range ${a}-${b} is reversed` };
    return { ok: true, value: { ...EMPTY, v6: [[lo, hi + 1n]] } };
  }
  return { ok: false, reason: `'${a}-${b}' is not a valid address range` };
}

function v4ToNumber(ip: ipaddr.IPv4): number {
  const [a, b, c, d] = ip.octets as [number, number, number, number];
  return ((a * 256 + b) * 256 + c) * 256 + d;
}

function v6ToBig(ip: ipaddr.IPv6): bigint {
  let n = 0n;
  for (const part of ip.parts) n = (n << 16n) | BigInt(part);
  return n;
}

function cidrToV4(cidr: string): [number, number] {
  const [ip, bits] = ipaddr.IPv4.parseCIDR(cidr);
  const size = 2 ** (32 - bits);
  const base = Math.floor(v4ToNumber(ip) / size) * size;
  return [base, base + size];
}

function cidrToV6(cidr: string): [bigint, bigint] {
  const [ip, bits] = ipaddr.IPv6.parseCIDR(cidr);
  const size = 1n << BigInt(128 - bits);
  const base = (v6ToBig(ip) / size) * size;
  return [base, base + size];
}

const isNone = (a: AtomSet): boolean => a.kind === "some" && a.items.size === 0;
const isAll = (a: AtomSet): boolean => a.kind === "allBut" && a.items.size === 0;

function atomsUnion(a: AtomSet, b: AtomSet): AtomSet {
  if (isNone(a) || isAll(b)) return b;
  if (isNone(b) || isAll(a)) return a;
  if (a.kind === "some" && b.kind === "some") return { kind: "some", items: new Set([...a.items, ...b.items]) };
  if (a.kind === "allBut" && b.kind === "allBut")
    return { kind: "allBut", items: new Set([...a.items].filter((x) => b.items.has(x))) };
  const [all, some] = a.kind === "allBut" ? [a, b] : [b, a];
  return { kind: "allBut", items: new Set([...all.items].filter((x) => !some.items.has(x))) };
}

function atomsIntersect(a: AtomSet, b: AtomSet): AtomSet {
  if (isNone(a) || isAll(b)) return a;
  if (isNone(b) || isAll(a)) return b;
  if (a.kind === "some" && b.kind === "some")
    return { kind: "some", items: new Set([...a.items].filter((x) => b.items.has(x))) };
  if (a.kind === "allBut" && b.kind === "allBut") return { kind: "allBut", items: new Set([...a.items, ...b.items]) };
  const [all, some] = a.kind === "allBut" ? [a, b] : [b, a];
  return { kind: "some", items: new Set([...some.items].filter((x) => !all.items.has(x))) };
}

function atomsSubtract(a: AtomSet, b: AtomSet): AtomSet {
  if (isNone(a) || isNone(b)) return a;
  const complement: AtomSet = b.kind === "some" ? { kind: "allBut", items: b.items } : { kind: "some", items: b.items };
  return atomsIntersect(a, complement);
}

export function addrUnion(a: AddressSet, b: AddressSet): AddressSet {
  if (a === EMPTY) return b;
  if (b === EMPTY) return a;
  return { v4: union(a.v4, b.v4), v6: union(a.v6, b.v6), atoms: atomsUnion(a.atoms, b.atoms) };
}

export function addrIntersect(a: AddressSet, b: AddressSet): AddressSet {
  return { v4: intersect(a.v4, b.v4), v6: intersect(a.v6, b.v6), atoms: atomsIntersect(a.atoms, b.atoms) };
}

export function addrSubtract(a: AddressSet, b: AddressSet): AddressSet {
  return { v4: subtract(a.v4, b.v4), v6: subtract(a.v6, b.v6), atoms: atomsSubtract(a.atoms, b.atoms) };
}

/** True when the sets share an address or atom; allocates nothing. */
export function addrOverlaps(a: AddressSet, b: AddressSet): boolean {
  if (overlaps(a.v4, b.v4) || overlaps(a.v6, b.v6)) return true;
  const x = a.atoms;
  const y = b.atoms;
  if (x.kind === "allBut" && y.kind === "allBut") return true;
  if (x.kind === "some" && y.kind === "some") {
    for (const i of x.items) if (y.items.has(i)) return true;
    return false;
  }
  const [some, all] = x.kind === "some" ? [x, y] : [y, x];
  for (const i of some.items) if (!all.items.has(i)) return true;
  return false;
}

export function addrIsEmpty(a: AddressSet): boolean {
  return isEmpty(a.v4) && isEmpty(a.v6) && a.atoms.kind === "some" && a.atoms.items.size === 0;
}

/** Memoizes a function of (v4, v6) interval arrays by identity; interval sets are never mutated. */
const memoByIdentity = <R>(fn: (v4: IntervalSet<number>, v6: IntervalSet<bigint>) => R) => memoByPair(fn);

const countPublic = memoByIdentity(
  (v4, v6) => BigInt(sizeOf(intersect(v4, PUBLIC.v4))) + sizeOfBig(intersect(v6, PUBLIC.v6)),
);

/** Public IPv4 and IPv6 addresses in the set, counted apart: the families never mix. */
export function publicCountByFamily(a: AddressSet): { v4: bigint; v6: bigint } {
  return { v4: BigInt(sizeOf(intersect(a.v4, PUBLIC.v4))), v6: sizeOfBig(intersect(a.v6, PUBLIC.v6)) };
}

const countText = memoByIdentity((v4, v6) => countPublic(v4, v6).toString());
/** `publicCount` as a decimal string, memoized (128-bit bigint formatting is slow). */
export function publicCountText(a: AddressSet): string {
  return countText(a.v4, a.v6);
}

/** Number of public IPv4 + IPv6 addresses in the set. */
export function publicCount(a: AddressSet): bigint {
  return countPublic(a.v4, a.v6);
}

const formatDefault = memoByIdentity((v4, v6) => formatIntervals(v4, v6, 6));

/** Renders the IP part of a set as CIDR blocks: the first `limit`, then "... and more". */
export function formatAddresses(a: AddressSet, limit = 6): string[] {
  return limit === 6 ? formatDefault(a.v4, a.v6) : formatIntervals(a.v4, a.v6, limit);
}

function formatIntervals(v4: IntervalSet<number>, v6: IntervalSet<bigint>, limit: number): string[] {
  const a = { v4, v6 };
  const blocks: string[] = [];
  for (const [lo, hi] of a.v4) if (v4Blocks(lo, hi, blocks, limit + 1)) break;
  if (blocks.length <= limit) for (const [lo, hi] of a.v6) if (v6Blocks(lo, hi, blocks, limit + 1)) break;
  return blocks.length > limit ? [...blocks.slice(0, limit), "... and more"] : blocks;
}

/** Appends the CIDR blocks of [lo, hi) to `out`; true once `out` holds `max` entries. */
function v4Blocks(lo: number, hi: number, out: string[], max: number): boolean {
  let cur = lo;
  while (cur < hi) {
    if (out.length >= max) return true;
    let size = 1;
    while (size < 2 ** 32 && cur % (size * 2) === 0 && cur + size * 2 <= hi) size *= 2;
    out.push(`${[24, 16, 8, 0].map((s) => Math.floor(cur / 2 ** s) % 256).join(".")}/${32 - Math.log2(size)}`);
    cur += size;
  }
  return out.length >= max;
}

function v6Blocks(lo: bigint, hi: bigint, out: string[], max: number): boolean {
  let cur = lo;
  while (cur < hi) {
    if (out.length >= max) return true;
    // Largest aligned block at `cur` that fits: limited by cur's trailing zero bits and the room left.
    let bits = 0n;
    const room = hi - cur;
    while (bits < 128n && ((cur >> bits) & 1n) === 0n && 1n << (bits + 1n) <= room) bits++;
    const bytes: number[] = [];
    for (let i = 15n; i >= 0n; i--) bytes.push(Number((cur >> (i * 8n)) & 0xffn));
    out.push(`${(ipaddr.fromByteArray(bytes) as ipaddr.IPv6).toRFC5952String()}/${128n - bits}`);
    cur += 1n << bits;
  }
  return out.length >= max;
}
