import {
  NsgFacts,
  RuleExposureEvent,
  nsgNoInternetRdp,
  nsgNoInternetRdpUdp,
  nsgRuleUnevaluable,
  nsgRuleUnknownAtPreview,
} from "../checks";
import { WeakCache, memoByPair } from "../cache";
import {
  ANY,
  AddressSet,
  EMPTY,
  PUBLIC,
  addrIntersect,
  addrIsEmpty,
  addrSubtract,
  addrUnion,
  formatAddresses,
  publicCount,
  publicCountByFamily,
  publicCountText,
} from "./addresses";
import { Bound, IntervalSet, contains, intersect, normalize, overlaps, subtract } from "./intervals";
import { ParsedRule, RuleParse, RuleProblem, parseRule } from "./parse-rule";
import { Finding, ResourceRef } from "./findings";
import { DEFAULT_INBOUND_RULES, NsgInput, RuleInput, SourceLocation } from "./rules";

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
  const facts: NsgFacts = { ref, view: nsg.view, unknownsUntil: nsg.unknownsUntil };
  const findings: Finding[] = [];
  if (nsg.unresolvedRules) {
    const unknown = nsg.unresolvedRules.unresolved === "unknown";
    const problem: RuleProblem = {
      field: "securityRules",
      value: nsg.unresolvedRules.text,
      kind: unknown ? "unknown" : "unevaluable",
      reason: unknown
        ? "the rule list is not known yet"
        : "the rule list is an expression that cannot be resolved statically",
    };
    findings.push(problemFinding(facts, opts, undefined, [problem], nsg.location));
  }
  if (nsg.unreadableRules) {
    const problem: RuleProblem = { field: "securityRules", ...nsg.unreadableRules, kind: "unevaluable" };
    findings.push(problemFinding(facts, opts, undefined, [problem], nsg.location));
  }
  if (nsg.ungrouped) {
    for (const r of nsg.rules) {
      const rule = { name: r.name, resourceId: r.resourceId };
      const note = { nsg: facts, rule, location: r.location, why: nsg.ungrouped };
      findings.push(nsgRuleUnknownAtPreview.ungroupedRuleFinding(note));
    }
  }

  // Azure's own default rules: `az` exports list them; they are added once, parsed once.
  const inputs: readonly RuleInput[] = nsg.rules.some((r) => r.isDefault)
    ? nsg.rules.filter((r) => !r.isDefault)
    : nsg.rules;
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

  for (const { input, parse } of blocked)
    findings.push(problemFinding(facts, opts, input, parse.problems, nsg.location, parse.priority));
  findings.push(...duplicatePriorityFindings(facts, priorities, opts, inputs));

  // A Deny whose fields are only unknown during preview might shadow later Allows: those exposures
  // are deferred to `pulumi up` rather than blocking a preview on a guess.
  const pendingDenyPriorities =
    blocked.length === 0
      ? []
      : blocked
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
    else if (publicCount(perRule.reduce((acc, e) => addrUnion(acc, e.exposed), EMPTY)) > limit)
      exposures.push(...perRule);
  }

  for (const e of exposures) {
    // The TCP finding already names a rule that exposes both protocols.
    if (e.protocol === "UDP" && tcpRules(exposures).has(e.rule)) continue;
    const deferred = pendingDenyPriorities.some((p) => p < e.rule.priority);
    findings.push(exposureFinding(facts, e, exposures, opts, deferred));
  }
  return { nsg: ref, findings, exposures, candidates, rulesEvaluated: inputs.length + DEFAULT_INBOUND_RULES.length };
}

/** Public, untrusted part of a source set; memoized because parsed source sets are shared. */
const publicCandidates = memoByPair((sources: AddressSet, trusted: AddressSet): AddressSet =>
  addrSubtract(addrIntersect(sources, PUBLIC), trusted),
);

function matches(rule: ParsedRule, protocol: Protocol, port: number): boolean {
  return (protocol === "TCP" ? rule.tcp : rule.udp) && contains(rule.ports, port);
}

/** One address family's view of the sets the sweep works on. */
interface Family<T extends Bound> {
  readonly of: (a: AddressSet) => IntervalSet<T>;
  readonly full: IntervalSet<T>;
  /** Public addresses of the family that are not trusted: where an exposure can be. */
  readonly universe: (trusted: AddressSet) => IntervalSet<T>;
}
const universes = new WeakCache<AddressSet, { v4: IntervalSet<number>; v6: IntervalSet<bigint> }>();
const universeOf = (trusted: AddressSet) =>
  universes.get(trusted, () => ({ v4: subtract(PUBLIC.v4, trusted.v4), v6: subtract(PUBLIC.v6, trusted.v6) }));
const V4: Family<number> = { of: (a) => a.v4, full: FULL_V4, universe: (t) => universeOf(t).v4 };
const V6: Family<bigint> = { of: (a) => a.v6, full: FULL_V6, universe: (t) => universeOf(t).v6 };
const isAllow = (r: ParsedRule): boolean => r.allow;

/**
 * Every Allow rule's public sources that reach RDP on `protocol`, per configured port.
 *
 * Azure evaluates rules in priority order and the first rule matching a flow decides it. For one
 * port, destinations are split into cells at every boundary of the matching rules' destinations;
 * within a cell each rule covers it entirely or not at all. One sweep per cell, in priority order,
 * keeps the sources no rule has decided yet: an Allow exposes what is still undecided of its
 * sources, then every rule removes its sources. That is near-linear in the number of rules for
 * the usual NSG (few distinct destinations), where comparing each rule with every higher one is not.
 */
function exposuresFor(rules: readonly ParsedRule[], protocol: Protocol, opts: EngineOptions): RuleExposure[] {
  const perRule = new Map<ParsedRule, { ports: number[]; exposed: AddressSet; shadowedBy: Set<string> }>();
  for (const port of opts.rdpPorts) {
    const active = rules.filter((r) => matches(r, protocol, port));
    if (!active.some((r) => r.allow && !addrIsEmpty(publicCandidates(r.sources, opts.trusted)))) continue;
    const atPort = new Map<ParsedRule, AddressSet>();
    const sweep: Sweep = {
      trusted: opts.trusted,
      expose: (r, part) => {
        const prev = atPort.get(r);
        atPort.set(r, prev ? addrUnion(prev, part) : part);
      },
      shadowed: (r, by) => {
        let entry = perRule.get(r);
        if (!entry) perRule.set(r, (entry = { ports: [], exposed: EMPTY, shadowedBy: new Set() }));
        entry.shadowedBy.add(by.input.name);
      },
    };
    sweepFamily(active, V4, opts, sweep, (set) => ({ ...EMPTY, v4: set }));
    sweepFamily(active, V6, opts, sweep, (set) => ({ ...EMPTY, v6: set }));
    for (const [r, exposed] of atPort) {
      let entry = perRule.get(r);
      if (!entry) perRule.set(r, (entry = { ports: [], exposed: EMPTY, shadowedBy: new Set() }));
      entry.ports.push(port);
      entry.exposed = addrUnion(entry.exposed, exposed);
    }
  }
  const out: RuleExposure[] = [];
  for (const rule of rules) {
    const e = perRule.get(rule);
    if (e && e.ports.length > 0)
      out.push({ rule, protocol, ports: e.ports, exposed: e.exposed, shadowedBy: [...e.shadowedBy] });
  }
  return out;
}

/**
 * `candidate` itself when `x` holds the same intervals: exposures keep the identity of the rule's
 * memoized public sources, so counting and formatting them is memoized too.
 */
function sameOr<T extends Bound>(x: IntervalSet<T>, candidate: IntervalSet<T>): IntervalSet<T> {
  if (x === candidate || x.length !== candidate.length) return x;
  for (let i = 0; i < x.length; i++) if (x[i]![0] !== candidate[i]![0] || x[i]![1] !== candidate[i]![1]) return x;
  return candidate;
}

interface Sweep {
  readonly trusted: AddressSet;
  /** An Allow exposes these sources in some cell. */
  readonly expose: (r: ParsedRule, part: AddressSet) => void;
  /** A higher rule decided part of an exposing Allow's sources first (for messages). */
  readonly shadowed: (r: ParsedRule, by: ParsedRule) => void;
}

/**
 * Sweeps the IP cells of one family, then the cells of named destinations (tags, groups) in it.
 * Each rule is filed under the cells its destination covers (a binary search per interval), so a
 * cell's sweep only visits the rules that apply there.
 */
function sweepFamily<T extends Bound>(
  active: readonly ParsedRule[],
  fam: Family<T>,
  opts: EngineOptions,
  sweep: Sweep,
  wrap: (set: IntervalSet<T>) => AddressSet,
): void {
  // One identity per trusted set: exposures that are "everything public" keep it, so formatting
  // and counting them is memoized.
  const universe = fam.universe(opts.trusted);
  const exposing = active.filter((r) => r.allow && fam.of(r.sources).length > 0 && fam.of(r.destinations).length > 0);
  const full = fam.full[0]!;
  const wholeFamily = (h: ParsedRule): boolean => {
    const d = fam.of(h.destinations);
    return d.length === 1 && d[0]![0] === full[0] && d[0]![1] === full[1];
  };
  if (exposing.length > 0 && active.every((r) => fam.of(r.destinations).length === 0 || wholeFamily(r))) {
    // The usual NSG: every destination is `*` (or another family): one cell, no index.
    sweepCell(active, universe, fam, (r) => fam.of(r.destinations).length > 0, isAllow, sweep, wrap);
  } else if (exposing.length > 0) {
    const points = cellPoints(
      active.map((r) => fam.of(r.destinations)),
      exposing.map((r) => fam.of(r.destinations)),
    );
    const lists: ParsedRule[][] = points.map(() => []);
    for (const r of active) {
      for (const [lo, hi] of fam.of(r.destinations)) {
        for (let k = lowerBound(points, lo); k < points.length && points[k]! < hi; k++) lists[k]!.push(r);
      }
    }
    for (const list of lists)
      sweepCell(
        list,
        universe,
        fam,
        () => true,
        (r) => r.allow,
        sweep,
        wrap,
      );
  }
  // Named destinations are some addresses we cannot see: a rule covers one when it names it too or
  // covers the whole family. A `*` destination needs no such cells: its addresses are all above.
  const named = new Set<string>();
  for (const r of active) {
    if (r.allow && fam.of(r.sources).length > 0 && r.destinations.atoms.kind === "some")
      for (const a of r.destinations.atoms.items) named.add(a);
  }

  for (const atom of named) {
    const names = (h: ParsedRule): boolean => {
      const atoms = h.destinations.atoms;
      return atoms.kind === "some" ? atoms.items.has(atom) : !atoms.items.has(atom);
    };
    const participates = (r: ParsedRule): boolean =>
      r.allow && r.destinations.atoms.kind === "some" && r.destinations.atoms.items.has(atom);
    sweepCell(active, universe, fam, (h) => names(h) || wholeFamily(h), participates, sweep, wrap);
  }
}

function lowerBound<T extends Bound>(sorted: readonly T[], value: T): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * First-match semantics in one cell: the sources no rule has decided yet shrink rule by rule. Rules
 * of equal priority (an error reported elsewhere) do not hide each other. Only rules that decided
 * something are remembered, to name what partly hides a later Allow.
 */
function sweepCell<T extends Bound>(
  rules: readonly ParsedRule[],
  universe: IntervalSet<T>,
  fam: Family<T>,
  covering: (r: ParsedRule) => boolean,
  participates: (r: ParsedRule) => boolean,
  sweep: Sweep,
  wrap: (set: IntervalSet<T>) => AddressSet,
): void {
  let undecided = universe;
  const deciders: ParsedRule[] = [];
  for (let i = 0; i < rules.length && undecided.length > 0;) {
    const priority = rules[i]!.priority;
    const before = undecided;
    let next = undecided;
    let j = i;
    for (; j < rules.length && rules[j]!.priority === priority; j++) {
      const r = rules[j]!;
      if (!covering(r)) continue;
      const sources = fam.of(r.sources);
      if (!overlaps(before, sources)) continue;
      if (participates(r)) {
        sweep.expose(r, wrap(sameOr(intersect(before, sources), fam.of(publicCandidates(r.sources, sweep.trusted)))));
        for (const d of deciders) if (overlaps(fam.of(d.sources), sources)) sweep.shadowed(r, d);
      }
      next = subtract(next, sources);
    }
    for (let k = i; k < j; k++)
      if (covering(rules[k]!) && overlaps(before, fam.of(rules[k]!.sources))) deciders.push(rules[k]!);
    undecided = next;
    i = j;
  }
}

/** Representative points of the elementary cells, kept only where some exposing rule's destination is. */
function cellPoints<T extends Bound>(all: readonly IntervalSet<T>[], exposing: readonly IntervalSet<T>[]): T[] {
  const points: T[] = [];
  for (const s of all) for (const [lo, hi] of s) points.push(lo, hi);
  const sorted = [...new Set(points)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const wanted = exposing.length === 1 ? exposing[0]! : normalize(exposing.flat());
  const out: T[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) if (contains(wanted, sorted[i]!)) out.push(sorted[i]!);
  return out;
}

const byProtocol = (protocol: Protocol) => {
  const cache = new WeakMap<readonly RuleExposure[], Set<ParsedRule>>();
  return (all: readonly RuleExposure[]): Set<ParsedRule> => {
    let set = cache.get(all);
    if (!set) cache.set(all, (set = new Set(all.filter((x) => x.protocol === protocol).map((x) => x.rule))));
    return set;
  };
};
const tcpRules = byProtocol("TCP");
const udpRules = byProtocol("UDP");

/** The facts RDPG001/002 (or RDPG004, when deferred) word their finding from. */
function exposureFinding(
  nsg: NsgFacts,
  e: RuleExposure,
  all: RuleExposure[],
  opts: EngineOptions,
  deferred: boolean,
): Finding {
  const byFamily = publicCountByFamily(e.exposed);
  const event: RuleExposureEvent = {
    nsg,
    rule: { name: e.rule.input.name, priority: e.rule.priority, resourceId: e.rule.input.resourceId },
    location: e.rule.input.location,
    exposure: {
      protocol: e.protocol,
      ports: e.ports,
      sources: formatAddresses(e.exposed),
      publicAddresses: publicCountText(e.exposed),
      publicIPv4Addresses: byFamily.v4.toString(),
      publicIPv6Addresses: byFamily.v6.toString(),
      sourceAsWritten: e.rule.sourceParts.map((s) => s.text),
      partiallyShadowedBy: e.shadowedBy,
    },
    sourceParts: e.rule.sourceParts,
    publicAddresses: { total: publicCount(e.exposed), v4: byFamily.v4, v6: byFamily.v6 },
    maxPublicSourceAddresses: opts.maxPublicSourceAddresses,
    alsoUdp: e.protocol === "TCP" && udpRules(all).has(e.rule),
  };
  if (deferred) return nsgRuleUnknownAtPreview.deferredExposureFinding(event);
  return (e.protocol === "TCP" ? nsgNoInternetRdp : nsgNoInternetRdpUdp).ruleFinding(event);
}

/** Fields that are only unknown until deployment are RDPG004; anything else unreadable is RDPG003. */
function problemFinding(
  nsg: NsgFacts,
  opts: EngineOptions,
  input: RuleInput | undefined,
  problems: readonly RuleProblem[],
  location: SourceLocation | undefined,
  priority?: number,
): Finding {
  const rule = input ? { name: input.name, priority, resourceId: input.resourceId } : undefined;
  const event = { nsg, rule, location: input?.location ?? location, problems };
  const onlyUnknown = problems.length > 0 && problems.every((p) => p.kind === "unknown");
  if (onlyUnknown) return nsgRuleUnknownAtPreview.finding(event);
  return nsgRuleUnevaluable.finding({ ...event, failOnUnevaluable: opts.failOnUnevaluable });
}

function duplicatePriorityFindings(
  nsg: NsgFacts,
  rules: readonly { name: string; priority: number }[],
  opts: EngineOptions,
  inputs: readonly RuleInput[],
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
    const location = inputs.find((i) => i.name === names[0])?.location;
    out.push(
      nsgRuleUnevaluable.duplicatePriorityFinding({
        nsg,
        priority,
        names,
        location,
        failOnUnevaluable: opts.failOnUnevaluable,
      }),
    );
  }
  return out;
}

const parseOptsCache = new WeakCache<
  EngineOptions,
  { trustedTags: ReadonlySet<string>; rdpPorts: readonly number[] }
>();
function parseOptionsOf(opts: EngineOptions): { trustedTags: ReadonlySet<string>; rdpPorts: readonly number[] } {
  return parseOptsCache.get(opts, () => ({ trustedTags: opts.trustedTags, rdpPorts: opts.rdpPorts }));
}

const defaultCache = new WeakCache<readonly number[], ParsedRule[]>();
/** Azure's default inbound rules, parsed once per RDP port list. */
function defaultRules(parseOpts: { trustedTags: ReadonlySet<string>; rdpPorts: readonly number[] }): ParsedRule[] {
  return defaultCache.get(parseOpts.rdpPorts, () =>
    DEFAULT_INBOUND_RULES.map((r) => parseRule(r, { trustedTags: parseOpts.trustedTags })).flatMap((r) =>
      r.status === "ok" ? [r.rule] : [],
    ),
  );
}
