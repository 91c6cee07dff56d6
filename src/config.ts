import Ajv, { ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import { BoundedCache, WeakCache } from "./cache";
import { exemptionExpired } from "./checks";
import { ConfigError } from "./errors";
import { AddressSet, EMPTY, addrUnion, parseAddress, publicCount } from "./nsg/addresses";
import { EngineOptions } from "./nsg/evaluate";
import { Finding } from "./nsg/findings";

/** One exemption: findings on matching resources are hidden (not dropped) until `expires`. */
export interface Exemption {
  /** Glob (`*`, `?`) matched case-insensitively against the NSG name, its id/URN and `nsg/rule`. */
  readonly resource: string;
  readonly reason: string;
  /** Last day (UTC, `YYYY-MM-DD`) the exemption applies. */
  readonly expires: string;
  /** Check ids it covers; all checks when absent. */
  readonly checks?: readonly string[];
}

/** The one configuration schema, shared by the policy pack and the CLI. */
export interface GuardConfig {
  readonly rdpPorts: readonly number[];
  readonly trustedSourcePrefixes: readonly string[];
  readonly maxPublicSourceAddresses: number;
  readonly failOnUnevaluable: boolean;
  readonly exemptions: readonly Exemption[];
  readonly remediationSourcePrefixes: readonly string[];
}

export const DEFAULT_CONFIG: GuardConfig = {
  rdpPorts: [3389],
  trustedSourcePrefixes: [],
  maxPublicSourceAddresses: 256,
  failOnUnevaluable: true,
  exemptions: [],
  remediationSourcePrefixes: [],
};

type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The JSON Schema subset the config uses; structurally what Pulumi's `configSchema` accepts. */
export interface JsonSchema {
  type?: "array" | "object" | "string" | "integer" | "boolean" | "number";
  items?: JsonSchema;
  properties?: { [key: string]: JsonSchema };
  required?: string[];
  additionalProperties?: boolean;
  minItems?: number;
  uniqueItems?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  default?: JsonValue;
  description?: string;
}

/** JSON Schema of each config property (the shape Pulumi's `configSchema.properties` takes). */
export const CONFIG_PROPERTIES: { [key: string]: JsonSchema } = {
  rdpPorts: {
    type: "array",
    minItems: 1,
    uniqueItems: true,
    default: [3389],
    items: { type: "integer", minimum: 1, maximum: 65535 },
    description: "Ports RDP listens on (the runbook allows moving RDP off 3389).",
  },
  trustedSourcePrefixes: {
    type: "array",
    default: [],
    items: { type: "string", minLength: 1 },
    description: "CIDRs, addresses or service tags that may always reach RDP.",
  },
  maxPublicSourceAddresses: {
    type: "integer",
    minimum: 0,
    default: 256,
    description: "Public source addresses an NSG may admit to RDP before it counts as Internet exposure.",
  },
  failOnUnevaluable: {
    type: "boolean",
    default: true,
    description: "Report rules that cannot be evaluated as errors (fail closed); false makes them warnings.",
  },
  exemptions: {
    type: "array",
    default: [],
    items: {
      type: "object",
      additionalProperties: false,
      required: ["resource", "reason", "expires"],
      properties: {
        resource: { type: "string", minLength: 1 },
        reason: { type: "string", minLength: 3 },
        expires: { type: "string", format: "date" },
        checks: { type: "array", items: { type: "string", pattern: "^RDPG\\d{3}$" } },
      },
    },
    description: "Temporary, documented exceptions; an expired one is reported.",
  },
  remediationSourcePrefixes: {
    type: "array",
    default: [],
    items: { type: "string", minLength: 1 },
    description: "When set, remediation rewrites an exposing rule's source to these prefixes.",
  },
};

export const CONFIG_SCHEMA: JsonSchema & { $schema: string; title: string } = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "azure-rdp-guard configuration",
  type: "object",
  additionalProperties: false,
  properties: { ...CONFIG_PROPERTIES, enforcementLevel: { type: "string" } },
};

let validator: ReturnType<Ajv["compile"]> | undefined;
function validate(value: unknown): ErrorObject[] {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, useDefaults: false, strict: false });
    addFormats(ajv);
    validator = ajv.compile(CONFIG_SCHEMA);
  }
  return validator(value) ? [] : [...(validator.errors ?? [])];
}

/**
 * Validates raw config (parsed JSON or Pulumi policy config) and fills defaults.
 * `origin` names where it came from ("rdp-guard.json", "policy config") for error messages.
 */
const loaded = new BoundedCache<string, GuardConfig>(100);

export function loadConfig(raw: unknown, origin: string): GuardConfig {
  // The policy pack loads config once per resource; validation and prefix parsing are cached by
  // content, so the same config object (and its engine options) is reused.
  return loaded.get(`${origin}\u0000${JSON.stringify(raw ?? {})}`, () => loadConfigUncached(raw, origin));
}

function loadConfigUncached(raw: unknown, origin: string): GuardConfig {
  const value = raw ?? {};
  const errors = validate(value);
  if (errors.length > 0) {
    const lines = errors.map(
      (e) =>
        `${fieldPath(e.instancePath) || "(root)"}: ${e.message ?? "is invalid"}` +
        (e.params && "additionalProperty" in e.params ? ` '${String(e.params.additionalProperty)}'` : ""),
    );
    throw new ConfigError(`${origin}: invalid configuration: ${lines.join("; ")}`);
  }
  const v = value as Partial<GuardConfig>;
  const config: GuardConfig = {
    rdpPorts: v.rdpPorts ?? DEFAULT_CONFIG.rdpPorts,
    trustedSourcePrefixes: v.trustedSourcePrefixes ?? [],
    maxPublicSourceAddresses: v.maxPublicSourceAddresses ?? DEFAULT_CONFIG.maxPublicSourceAddresses,
    failOnUnevaluable: v.failOnUnevaluable ?? true,
    exemptions: v.exemptions ?? [],
    remediationSourcePrefixes: v.remediationSourcePrefixes ?? [],
  };
  engineOptions(config, origin); // parses prefixes, so bad ones fail here with the field named
  return config;
}

function fieldPath(pointer: string): string {
  return pointer
    .split("/")
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join("")
    .replace(/^\./, "");
}

const optionsCache = new WeakCache<GuardConfig, EngineOptions>();

/** Turns config into engine options, parsing every prefix (errors name the field and entry). */
export function engineOptions(config: GuardConfig, origin = "configuration"): EngineOptions {
  return optionsCache.get(config, () => buildEngineOptions(config, origin));
}

function buildEngineOptions(config: GuardConfig, origin: string): EngineOptions {
  let trusted: AddressSet = EMPTY;
  const trustedTags = new Set<string>();
  config.trustedSourcePrefixes.forEach((p, i) => {
    const lower = p.trim().toLowerCase();
    const r = parseAddress(p);
    if (r.ok && r.value.kind === "address") trusted = addrUnion(trusted, r.value.set);
    else if (/^[a-z][a-z0-9._-]*$/i.test(p.trim()) && lower !== "internet" && lower !== "any") trustedTags.add(lower);
    else
      throw new ConfigError(
        `${origin}: trustedSourcePrefixes[${i}] '${p}' must be an IP address, CIDR, range ` +
          "or a service tag other than Internet/Any",
      );
  });
  config.remediationSourcePrefixes.forEach((p, i) => {
    const r = parseAddress(p);
    if (!r.ok || r.value.kind !== "address") {
      throw new ConfigError(`${origin}: remediationSourcePrefixes[${i}] '${p}' must be an IP address, CIDR or range`);
    }
    if (publicCount(r.value.set) > BigInt(config.maxPublicSourceAddresses)) {
      throw new ConfigError(
        `${origin}: remediationSourcePrefixes[${i}] '${p}' is itself wider than ` +
          `maxPublicSourceAddresses (${config.maxPublicSourceAddresses})`,
      );
    }
  });
  return {
    rdpPorts: config.rdpPorts,
    maxPublicSourceAddresses: config.maxPublicSourceAddresses,
    failOnUnevaluable: config.failOnUnevaluable,
    trusted,
    trustedTags,
  };
}

/**
 * A compiled exemption glob (`*`, `?`, case-insensitive). Matching never backtracks: the pattern
 * is split at `*` and each piece is matched at its leftmost place, which is optimal for `*` globs.
 * Worst case O(name x pattern); a regular expression takes exponential time on `*a*a*a...b`.
 */
export function compileGlob(glob: string): (text: string) => boolean {
  const pieces = glob.toLowerCase().split("*");
  const anchoredEnd = pieces.length > 1;
  return (raw) => {
    const text = raw.toLowerCase();
    if (!anchoredEnd) return text.length === pieces[0]!.length && pieceAt(text, pieces[0]!, 0);
    const first = pieces[0]!;
    const last = pieces[pieces.length - 1]!;
    if (
      text.length < first.length + last.length ||
      !pieceAt(text, first, 0) ||
      !pieceAt(text, last, text.length - last.length)
    )
      return false;
    let pos = first.length;
    const end = text.length - last.length;
    for (let i = 1; i < pieces.length - 1; i++) {
      const at = findPiece(text, pieces[i]!, pos, end);
      if (at < 0) return false;
      pos = at + pieces[i]!.length;
    }
    return true;
  };
}

function pieceAt(text: string, piece: string, at: number): boolean {
  for (let k = 0; k < piece.length; k++) if (piece[k] !== "?" && piece[k] !== text[at + k]) return false;
  return true;
}

/** Leftmost place in text[from, end) where `piece` (with `?`) matches; -1 when none. */
function findPiece(text: string, piece: string, from: number, end: number): number {
  if (!piece.includes("?")) {
    const at = text.indexOf(piece, from);
    return at >= 0 && at + piece.length <= end ? at : -1;
  }
  for (let at = from; at + piece.length <= end; at++) if (pieceAt(text, piece, at)) return at;
  return -1;
}

/** Today's date in UTC as `YYYY-MM-DD` (injectable for tests). */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Marks findings hidden by a live exemption as suppressed and reports each expired exemption that
 * still matches a finding. Nothing is dropped: reporters decide how to show suppressed findings.
 */
export function applyExemptions(
  findings: readonly Finding[],
  exemptions: readonly Exemption[],
  todayArg?: string,
): Finding[] {
  if (exemptions.length === 0) return [...findings];
  const today = todayArg ?? todayUtc();
  const compiled = exemptions.map((e) => ({ e, test: compileGlob(e.resource), live: e.expires >= today }));
  const expiredReported = new Set<string>();
  const out: Finding[] = [];
  for (const f of findings) {
    const keys = [
      f.resource.name,
      f.resource.id,
      f.rule ? `${f.resource.name}/${f.rule.name}` : "",
      f.rule?.resourceId ?? "",
    ].filter(Boolean);
    const applies = ({ e, test }: (typeof compiled)[number]): boolean =>
      keys.some((k) => test(k)) && (!e.checks || e.checks.includes(f.checkId));
    // A live exemption wins over an expired one, whatever their order.
    const match = compiled.find((c) => c.live && applies(c)) ?? compiled.find(applies);
    if (!match) {
      out.push(f);
      continue;
    }
    if (match.live) {
      out.push({ ...f, suppressed: { reason: match.e.reason, expires: match.e.expires, pattern: match.e.resource } });
      continue;
    }
    out.push(f);
    const key = `${match.e.resource}|${f.resource.id}`;
    if (!expiredReported.has(key)) {
      expiredReported.add(key);
      out.push(exemptionExpired.finding(f, match.e));
    }
  }
  return out;
}
