import { Severity, internetRdpTcp, internetRdpUdp, unevaluableRule, unknownAtPreview } from "../checks";
import {
  ANY, AddressSet, EMPTY, PUBLIC, addrIntersect, addrIsEmpty, addrOverlaps, addrSubtract, addrUnion, formatAddresses, publicCount, publicCountText,
} from "./addresses";
import { Bound, IntervalSet, contains, covers } from "./intervals";
import { ParsedRule, RuleParse, RuleProblem, parseRule } from "./parse-rule";
import { ExposureDetail, Finding, ResourceRef } from "./findings";
import { DEFAULT_INBOUND_RULES, NsgInput, RuleInput } from "./rules";

/** What the engine needs to know; built once from the validated user config. */
export interface EngineOptions {
  readonly rdpPorts: readonly number[];
  readonly maxPublicSourceAddresses: number;
  readonly failOnUnevaluable: boolean;
  /** Trusted IP prefixes, already parsed. */
  readonly trusted: AddressSet;
  /** Trusted service tags (lower case); also accepted as sources without being unevaluable. */
  readonly trustedTags: ReadonlySet<string>;
}

export interface RuleExposure {
  readonly rule: ParsedRule;
  readonly protocol: "TCP" | "UDP";
  readonly ports: number[];
  readonly exposed: AddressSet;
  readonly shadowedBy: string[];
}

export interface NsgEvaluation {
  readonly nsg: ResourceRef;
  readonly findings: Finding[];
  /** Exposures above the threshold, for remediation (which rule, which ports, which sources). */
  readonly exposures: RuleExposure[];
  /** Every rule's public exposure before the threshold: NIC and subnet NSGs are intersected from these. */
  readonly candidates: RuleExposure[];
  /** Rules the engine evaluated (including Azure's defaults). */
  readonly rulesEvaluated: number;
}

type Protocol = "TCP" | "UDP";

const FULL_V4 = ANY.v4;
const FULL_V6 = ANY.v6;

/**
 * Decides whether RDP is reachable from the Internet through one NSG.
 *
 * Azure evaluates inbound rules in priority order and the first rule that matches a flow decides
 * it. For every Allow rule and every configured RDP port, the engine takes the rule's public
 * sources and removes those that a higher-priority rule already decided, per destination cell, so a
 * partial Deny hides exactly the part it covers. Exposure counts the public addresses left after
 * private ranges and trusted prefixes; more than `maxPublicSourceAddresses` is a finding.
 */
export function evaluateNsg(nsg: NsgInput, opts: EngineOptions): NsgEvaluation {
  const ref: ResourceRef = { id: nsg.id, name: nsg.name, type: nsg.type };
  const findings: Finding[] = [];
  if (nsg.unresolvedRules) {
    findings.push(problemFinding(ref, opts, undefined, [{
      field: "securityRules", value: nsg.unresolvedRules.text, kind: nsg.unresolvedRules.unresolved === "unknown" ? "unknown" : "unevaluable",
      reason: nsg.unresolvedRules.unresolved === "unknown" ? "the rule list is not known until the resource is created" : "the rule list is an expression that cannot be resolved statically",
    }], nsg));
  }

  // Azure's own default rules: `az` exports list them; they are added once, parsed once.
  const inputs: readonly RuleInput[] = nsg.rules.some((r) => r.isDefault) ? nsg.rules.filter((r) => !r.isDefault) : nsg.rules;
  const parseOpts = parseOptionsOf(opts);
  const parsed: ParsedRule[] = [...defaultRules(parseOpts)];
  const priorities: { name: string; priority: number }[] = [];
  const blocked: { input: RuleInput; parse: Extract<RuleParse, { status: "problems" }> }[] = [];
  for (const input of inputs) {
    const r = parseRule(input, parseOpts);
    if (r.status === "ok") {
      parsed.push(r.rule);
      priorities.push({ name: input.name, priority: r.rule.priority });
    } else if (r.status === "irrelevant") priorities.push(r);
    else if (r.status === "problems") blocked.push({ input, parse: r });
  }
  parsed.sort((a, b) => a.priority - b.priority);

  for (const { input, parse } of blocked) findings.push(problemFinding(ref, opts, input, parse.problems, nsg, parse.priority));
  findings.push(...duplicatePriorityFindings(ref, priorities, opts, inputs));

  // A Deny whose fields are only unknown during preview might shadow later Allows: those exposures
  // are deferred to `pulumi up` rather than blocking a preview on a guess.
  const pendingDenyPriorities = blocked.length === 0 ? [] : blocked
    .filter(({ parse }) => parse.access !== "allow" && parse.problems.every((p) => p.kind === "unknown"))
    .map(({ parse }) => parse.priority ?? -Infinity);

  const exposures: RuleExposure[] = [];
  const candidates: RuleExposure[] = [];
  for (const protocol of ["TCP", "UDP"] as const) {
    const perRule = exposuresFor(parsed, protocol, opts);
    candidates.push(...perRule);
    const limit = BigInt(opts.maxPublicSourceAddresses);
    const wide = perRule.filter((e) => publicCount(e.exposed) > limit);
    // Rules over the limit on their own are the findings; several narrow rules that add up to more
    // than the limit are reported together, since none of them alone is the culprit.
    if (wide.length > 0) exposures.push(...wide);
    else if (publicCount(perRule.reduce((acc, e) => addrUnion(acc, e.exposed), EMPTY)) > limit) exposures.push(...perRule);
  }

  for (const e of exposures) {
    // The TCP finding already names a rule that exposes both protocols.
    if (e.protocol === "UDP" && exposures.some((t) => t.protocol === "TCP" && t.rule === e.rule)) continue;
    const deferred = pendingDenyPriorities.some((p) => p < e.rule.priority);
    findings.push(exposureFinding(ref, e, exposures, opts, deferred));
  }
  return { nsg: ref, findings, exposures, candidates, rulesEvaluated: inputs.length + DEFAULT_INBOUND_RULES.length };
}

const candidateCache = new WeakMap<AddressSet, WeakMap<AddressSet, AddressSet>>();
/** Public, untrusted part of a source set; memoized because parsed source sets are shared. */
function publicCandidates(sources: AddressSet, trusted: AddressSet): AddressSet {
  let inner = candidateCache.get(trusted);
  if (!inner) candidateCache.set(trusted, (inner = new WeakMap()));
  let c = inner.get(sources);
  if (!c) inner.set(sources, (c = addrSubtract(addrIntersect(sources, PUBLIC), trusted)));
  return c;
}

function matches(rule: ParsedRule, protocol: Protocol, port: number): boolean {
  return (protocol === "TCP" ? rule.tcp : rule.udp) && contains(rule.ports, port);
}

function exposuresFor(rules: readonly ParsedRule[], protocol: Protocol, opts: EngineOptions): RuleExposure[] {
  const out: RuleExposure[] = [];
  rules.forEach((rule, index) => {
    if (!rule.allow) return;
    const candidate = publicCandidates(rule.sources, opts.trusted);
    if (addrIsEmpty(candidate)) return;
    const ports: number[] = [];
    let exposed = EMPTY;
    const shadowedBy: string[] = [];
    for (const port of opts.rdpPorts) {
      if (!matches(rule, protocol, port)) continue;
      const higher: ParsedRule[] = [];
      for (let k = 0; k < index; k++) {
        const h = rules[k]!;
        if (h.priority < rule.priority && matches(h, protocol, port)) higher.push(h);
      }
      const left = unshadowed(rule, candidate, higher, shadowedBy);
      if (!addrIsEmpty(left)) {
        ports.push(port);
        exposed = addrUnion(exposed, left);
      }
    }
    if (ports.length > 0) out.push({ rule, protocol, ports, exposed, shadowedBy });
  });
  return out;
}

/**
 * Sources of `candidate` that reach at least one destination of `rule` without being decided by a
 * higher-priority rule. Destinations are split into cells at every boundary of the higher rules'
 * destinations; within a cell a higher rule either covers it entirely or not at all.
 */
function unshadowed(rule: ParsedRule, candidate: AddressSet, higher: readonly ParsedRule[], shadowedBy: string[]): AddressSet {
  const relevant = higher.filter((h) => addrOverlaps(h.sources, candidate));
  if (relevant.length === 0) return candidate;
  // An IPv4 source only ever reaches IPv4 destinations, and IPv6 likewise.
  const v4: AddressSet = { ...EMPTY, v4: candidate.v4 };
  const v6: AddressSet = { ...EMPTY, v6: candidate.v6 };
  let result = EMPTY;
  const shadowFor = (part: AddressSet, covers: (h: ParsedRule) => boolean): void => {
    if (addrIsEmpty(part)) return;
    let shadow = EMPTY;
    for (const h of relevant) {
      if (covers(h)) {
        shadow = addrUnion(shadow, h.sources);
        if (!shadowedBy.includes(h.input.name)) shadowedBy.push(h.input.name);
      }
    }
    result = addrUnion(result, addrSubtract(part, shadow));
  };
  for (const cell of cells(rule.destinations.v4, relevant.map((h) => h.destinations.v4))) {
    shadowFor(v4, (h) => contains(h.destinations.v4, cell));
  }
  for (const cell of cells(rule.destinations.v6, relevant.map((h) => h.destinations.v6))) {
    shadowFor(v6, (h) => contains(h.destinations.v6, cell));
  }
  // Named destinations (a tag, an application security group) are some addresses we cannot see: a
  // higher rule covers them when it names them too or covers the whole address family. A `*`
  // destination needs no such cells: every address it admits is in the IP cells above.
  if (rule.destinations.atoms.kind === "some") {
    for (const a of rule.destinations.atoms.items) {
      const names = (h: ParsedRule): boolean => (h.destinations.atoms.kind === "some" ? h.destinations.atoms.items.has(a) : !h.destinations.atoms.items.has(a));
      shadowFor(v4, (h) => names(h) || covers(h.destinations.v4, FULL_V4));
      shadowFor(v6, (h) => names(h) || covers(h.destinations.v6, FULL_V6));
    }
  }
  return result;
}

/** Representative points of the elementary cells of `base` split at the boundaries of `splitters`. */
function cells<T extends Bound>(base: IntervalSet<T>, splitters: readonly IntervalSet<T>[]): T[] {
  if (base.length === 0) return [];
  const points: T[] = [];
  for (const [lo, hi] of base) points.push(lo, hi);
  for (const s of splitters) for (const [lo, hi] of s) points.push(lo, hi);
  const sorted = [...new Set(points)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: T[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const p = sorted[i]!;
    if (contains(base, p)) out.push(p);
  }
  return out;
}

function exposureFinding(ref: ResourceRef, e: RuleExposure, all: RuleExposure[], opts: EngineOptions, deferred: boolean): Finding {
  const check = e.protocol === "TCP" ? internetRdpTcp : internetRdpUdp;
  const count = publicCount(e.exposed);
  let alsoUdp = false;
  if (e.protocol === "TCP") for (const x of all) if (x.protocol === "UDP" && x.rule === e.rule) alsoUdp = true;
  const written = e.rule.sourceParts.map((s) => s.text);
  const has = (kind: string): boolean => e.rule.sourceParts.some((s) => s.kind === kind);
  const threshold = opts.maxPublicSourceAddresses;
  let why: string;
  if (has("any")) why = `source '${written.join(", ")}' admits every address`;
  else if (has("internet")) why = "source 'Internet' admits every public address";
  else if (has("internet-equivalent")) why = `source '${written.join(", ")}' includes every Azure customer's public IPs`;
  else why = `source ${written.join(", ")} admits ${groupDigits(count)} public addresses (more than maxPublicSourceAddresses=${threshold})`;
  if (count <= BigInt(threshold)) why = `together with the NSG's other exposing rules, more than ${threshold} public addresses can reach RDP`;
  const shadow = e.shadowedBy.length > 0 ? `; higher-priority rule(s) ${e.shadowedBy.join(", ")} hide only part of it` : "";
  const protocols = alsoUdp ? "TCP and UDP" : e.protocol;
  const ports = e.ports.join(", ");
  const exposure: ExposureDetail = {
    protocol: e.protocol, ports: e.ports, sources: formatAddresses(e.exposed), publicAddresses: publicCountText(e.exposed),
    sourceAsWritten: written, partiallyShadowedBy: e.shadowedBy,
  };
  const rule = { name: e.rule.input.name, priority: e.rule.priority, resourceId: e.rule.input.resourceId };
  if (deferred) {
    return {
      checkId: unknownAtPreview.id, severity: unknownAtPreview.severity, resource: ref, rule, location: e.rule.input.location, exposure,
      reason: `${why}; a higher-priority Deny depends on values unknown during preview`,
      message: `NSG '${ref.name}' rule '${rule.name}' may expose RDP port ${ports}; decided at 'pulumi up' when the Deny's values are known`,
      fix: unknownAtPreview.help,
    };
  }
  // A literal object (no spreads): this runs once per exposing rule on fleet-sized inputs.
  return {
    checkId: check.id, severity: check.severity, resource: ref, rule, location: e.rule.input.location, exposure,
    reason: why + shadow,
    message: `NSG '${ref.name}' rule '${rule.name}' (priority ${rule.priority}) exposes RDP port ${ports} over ${protocols} to the Internet: ${why}${shadow}`,
    fix: `Restrict the source of rule '${rule.name}' to your admin IP (a /32) or trusted ranges, or remove it and use Azure Bastion or just-in-time VM access.`,
  };
}

function problemFinding(
  ref: ResourceRef, opts: EngineOptions, input: RuleInput | undefined, problems: readonly RuleProblem[], nsg: NsgInput, priority?: number,
): Finding {
  const onlyUnknown = problems.length > 0 && problems.every((p) => p.kind === "unknown");
  const check = onlyUnknown ? unknownAtPreview : unevaluableRule;
  const severity: Severity = onlyUnknown ? unknownAtPreview.severity : opts.failOnUnevaluable ? "error" : "warning";
  const what = problems.map((p) => `${p.field}='${p.value}': ${p.reason}`).join("; ");
  const subject = input ? `rule '${input.name}'` : "security rules";
  return {
    checkId: check.id, severity, resource: ref,
    rule: input ? { name: input.name, priority, resourceId: input.resourceId } : undefined,
    location: input?.location ?? nsg.location,
    problems,
    reason: what,
    message: onlyUnknown
      ? `NSG '${ref.name}' ${subject} cannot be checked during preview (${what}); it is checked at 'pulumi up'`
      : `NSG '${ref.name}' ${subject} cannot be evaluated: ${what}`,
    fix: check.help,
  };
}

function duplicatePriorityFindings(
  ref: ResourceRef, rules: readonly { name: string; priority: number }[], opts: EngineOptions, inputs: readonly RuleInput[],
): Finding[] {
  const seen = new Set<number>();
  let duplicate = false;
  for (const r of rules) {
    if (seen.has(r.priority)) duplicate = true;
    seen.add(r.priority);
  }
  if (!duplicate) return [];
  const byPriority = new Map<number, string[]>();
  for (const r of rules) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r.name]);
  const out: Finding[] = [];
  for (const [priority, names] of byPriority) {
    if (names.length < 2) continue;
    out.push({
      checkId: unevaluableRule.id, severity: opts.failOnUnevaluable ? "error" : "warning", resource: ref,
      rule: { name: names[0]!, priority }, location: inputs.find((i) => i.name === names[0])?.location,
      problems: [{ field: "priority", value: String(priority), reason: `shared by inbound rules ${names.join(", ")}`, kind: "unevaluable" }],
      reason: `priority ${priority} is used by ${names.join(", ")}; Azure rejects the NSG and the order cannot be decided`,
      message: `NSG '${ref.name}' has several inbound rules with priority ${priority} (${names.join(", ")}); their order cannot be evaluated`,
      fix: "Give every inbound rule a unique priority.",
    });
  }
  return out;
}

const parseOptsCache = new WeakMap<EngineOptions, { trustedTags: ReadonlySet<string>; rdpPorts: readonly number[] }>();
function parseOptionsOf(opts: EngineOptions): { trustedTags: ReadonlySet<string>; rdpPorts: readonly number[] } {
  let p = parseOptsCache.get(opts);
  if (!p) parseOptsCache.set(opts, (p = { trustedTags: opts.trustedTags, rdpPorts: opts.rdpPorts }));
  return p;
}

const defaultCache = new WeakMap<readonly number[], ParsedRule[]>();
/** Azure's default inbound rules, parsed once per RDP port list. */
function defaultRules(parseOpts: { trustedTags: ReadonlySet<string>; rdpPorts: readonly number[] }): ParsedRule[] {
  let rules = defaultCache.get(parseOpts.rdpPorts);
  if (!rules) {
    rules = DEFAULT_INBOUND_RULES.map((r) => parseRule(r, { trustedTags: parseOpts.trustedTags })).flatMap((r) => (r.status === "ok" ? [r.rule] : []));
    defaultCache.set(parseOpts.rdpPorts, rules);
  }
  return rules;
}

/** 16777216 -> "16,777,216" (Intl's toLocaleString is slow on hot paths). */
function groupDigits(n: bigint): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
