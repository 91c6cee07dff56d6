import { AddressSet, EMPTY, ParsedSource, Role, addrUnion, asgSource, parseAddress } from "./addresses";
import { contains, normalize } from "./intervals";
import { PortSet, parsePortSpec } from "./ports";
import { RawList, RawScalar, RuleInput, Unresolved, isUnresolved } from "./rules";

export interface RuleProblem {
  readonly field: string;
  readonly value: string;
  readonly reason: string;
  /** `unknown`: only unknown during preview; `unevaluable`: can never be evaluated as written. */
  readonly kind: "unknown" | "unevaluable";
  /** The field is absent (or empty): `value` is "" and `reason` says what is missing. */
  readonly missing?: true;
}

export interface ParsedRule {
  readonly input: RuleInput;
  readonly priority: number;
  readonly allow: boolean;
  readonly tcp: boolean;
  readonly udp: boolean;
  readonly sources: AddressSet;
  readonly sourceParts: readonly ParsedSource[];
  readonly destinations: AddressSet;
  readonly ports: PortSet;
}

export type RuleParse =
  | { readonly status: "outbound" }
  /** Valid, inbound, but provably unable to carry RDP (other ports, or ICMP/ESP/AH). */
  | { readonly status: "irrelevant"; readonly priority: number; readonly name: string }
  | { readonly status: "ok"; readonly rule: ParsedRule }
  | {
      readonly status: "problems";
      readonly problems: readonly RuleProblem[];
      /** What could be read, so callers can judge the rule's possible effect. */
      readonly priority?: number;
      readonly access?: "allow" | "deny";
    };

const PROTOCOLS: Record<string, { tcp: boolean; udp: boolean }> = {
  tcp: { tcp: true, udp: false },
  udp: { tcp: false, udp: true },
  "*": { tcp: true, udp: true },
  any: { tcp: true, udp: true },
  all: { tcp: true, udp: true },
  icmp: { tcp: false, udp: false },
  icmpv6: { tcp: false, udp: false },
  esp: { tcp: false, udp: false },
  ah: { tcp: false, udp: false },
};

class Problems {
  private items: RuleProblem[] | undefined;
  get list(): RuleProblem[] {
    return this.items ?? [];
  }
  add(field: string, value: unknown, reason: string, kind: RuleProblem["kind"] = "unevaluable"): void {
    (this.items ??= []).push({ field, value: show(value), reason, kind });
  }
  /** A required field that is absent, null or blank: there is no value to quote. */
  missing(field: string, reason: string): void {
    (this.items ??= []).push({ field, value: "", reason, kind: "unevaluable", missing: true });
  }
  /** `missing` when the scalar is absent or blank; a value of the wrong type is quoted instead. */
  missingOr(field: string, v: RawScalar, reason: string): void {
    if (v === undefined || v === null || (typeof v === "string" && v.trim() === "")) this.missing(field, reason);
    else this.add(field, v, reason);
  }
  unresolved(field: string, v: Unresolved): void {
    const reason =
      v.unresolved === "unknown"
        ? "value is not known until the resource is created (computed output)"
        : `expression '${v.text}' cannot be resolved statically`;
    this.add(field, v.text, reason, v.unresolved === "unknown" ? "unknown" : "unevaluable");
  }
}

function show(v: unknown): string {
  if (isUnresolved(v)) return v.text;
  if (typeof v === "string") return v;
  return JSON.stringify(v) ?? String(v);
}

/** Reads a scalar as trimmed text; `undefined` when absent or empty. */
function text(field: string, v: RawScalar, p: Problems): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (isUnresolved(v)) {
    p.unresolved(field, v);
    return undefined;
  }
  if (typeof v === "boolean") {
    p.add(field, v, "expected a string");
    return undefined;
  }
  const s = String(v).trim();
  return s === "" ? undefined : s;
}

function list(field: string, v: RawList, p: Problems): { values: string[]; present: boolean } {
  if (v === undefined || v === null) return { values: [], present: false };
  if (isUnresolved(v)) {
    p.unresolved(field, v);
    return { values: [], present: true };
  }
  if (!Array.isArray(v)) {
    p.add(field, v, "expected a list");
    return { values: [], present: true };
  }
  const values: string[] = [];
  v.forEach((item: RawScalar | { id?: unknown }, i: number) => {
    // Application security groups arrive as `{ id }` objects in ARM and SDK shapes.
    const raw =
      typeof item === "object" && item !== null && !isUnresolved(item) && "id" in item
        ? (item.id as RawScalar)
        : (item as RawScalar);
    const t = text(`${field}[${i}]`, raw, p);
    if (t !== undefined) values.push(t);
  });
  return { values, present: values.length > 0 };
}

export interface ParseOptions {
  readonly trustedTags: ReadonlySet<string>;
  /** When given, a rule whose protocol and ports prove it cannot touch these ports skips address parsing. */
  readonly rdpPorts?: readonly number[];
}

/** Turns a raw rule into sets, or the list of fields that stop it from being evaluated. */
export function parseRule(input: RuleInput, opts: ParseOptions): RuleParse {
  const p = new Problems();
  if (input.unreadable) {
    p.add("securityRules", input.unreadable.value, input.unreadable.reason, input.unreadable.kind);
    return { status: "problems", problems: p.list };
  }

  const direction = text("direction", input.direction, p)?.toLowerCase();
  if (direction === "outbound") return { status: "outbound" };
  if (direction === undefined && !isUnresolved(input.direction))
    p.missingOr("direction", input.direction, "direction is missing");
  else if (direction !== undefined && direction !== "inbound")
    p.add("direction", input.direction, "direction must be Inbound or Outbound");

  const accessText = text("access", input.access, p)?.toLowerCase();
  let access: "allow" | "deny" | undefined;
  if (accessText === "allow" || accessText === "deny") access = accessText;
  else if (accessText !== undefined) p.add("access", input.access, "access must be Allow or Deny");
  else if (!isUnresolved(input.access)) p.missingOr("access", input.access, "access is missing");

  let priority: number | undefined;
  if (isUnresolved(input.priority)) p.unresolved("priority", input.priority);
  else {
    const raw = typeof input.priority === "string" ? input.priority.trim() : input.priority;
    const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (raw === undefined || raw === null || raw === "") p.missing("priority", "priority is missing");
    else if (!Number.isInteger(n)) p.add("priority", input.priority, "priority must be an integer");
    else if (!input.isDefault && (n < 100 || n > 4096))
      p.add("priority", input.priority, "priority must be between 100 and 4096");
    else priority = n;
  }

  const protoText = text("protocol", input.protocol, p)?.toLowerCase();
  const proto = protoText === undefined ? undefined : PROTOCOLS[protoText];
  if (protoText !== undefined && !proto)
    p.add("protocol", input.protocol, "protocol must be Tcp, Udp, Icmp, Esp, Ah or *");
  else if (protoText === undefined && !isUnresolved(input.protocol))
    p.missingOr("protocol", input.protocol, "protocol is missing");

  const portTexts: string[] = [];
  const single = text("destinationPortRange", input.destinationPortRange, p);
  if (single !== undefined) portTexts.push(single);
  const multi = list("destinationPortRanges", input.destinationPortRanges, p);
  portTexts.push(...multi.values);
  let ports: PortSet = [];
  let merged = false;
  if (portTexts.length === 0) {
    if (!isUnresolved(input.destinationPortRange) && !isUnresolved(input.destinationPortRanges)) {
      p.missing("destinationPortRange", "no destination port is given");
    }
  } else {
    for (const t of portTexts) {
      const r = parsePortSpec(t);
      if (!r.ok) p.add(single === t ? "destinationPortRange" : "destinationPortRanges", t, r.reason);
      else if (ports.length === 0) ports = r.value;
      else {
        ports = [...ports, ...r.value];
        merged = true;
      }
    }
  }

  const portSet = merged ? normalize(ports) : ports;
  // Addresses only matter for rules that can carry RDP; a rule that provably cannot is not
  // "unevaluable" because of an address it will never apply to RDP traffic.
  if (opts.rdpPorts && p.list.length === 0 && proto && priority !== undefined && access !== undefined) {
    const carries = (proto.tcp || proto.udp) && opts.rdpPorts.some((port) => contains(portSet, port));
    if (!carries) return { status: "irrelevant", priority, name: input.name };
  }

  // Clients choose their source port: a Deny limited to some source ports hides nothing for sure.
  if (access === "deny" && p.list.length === 0 && proto && priority !== undefined && !allSourcePorts(input)) {
    return { status: "irrelevant", priority, name: input.name };
  }

  const role = access ?? "allow";
  const sources = readAddresses(
    "source",
    input.sourceAddressPrefix,
    input.sourceAddressPrefixes,
    input.sourceApplicationSecurityGroups,
    p,
    opts,
    role,
  );
  const destinations = readAddresses(
    "destination",
    input.destinationAddressPrefix,
    input.destinationAddressPrefixes,
    input.destinationApplicationSecurityGroups,
    p,
    opts,
    role,
  );

  if (p.list.length > 0 || access === undefined || priority === undefined || !proto || !sources || !destinations) {
    return { status: "problems", problems: p.list, priority, access };
  }
  return {
    status: "ok",
    rule: {
      input,
      priority,
      allow: access === "allow",
      tcp: proto.tcp,
      udp: proto.udp,
      sources: sources.set,
      sourceParts: sources.parts,
      destinations: destinations.set,
      ports: portSet,
    },
  };
}

/** True when the rule's source ports are all ports (absent counts as `*`, Azure's default). */
function allSourcePorts(input: RuleInput): boolean {
  const values: RawScalar[] = [];
  if (input.sourcePortRange !== undefined && input.sourcePortRange !== null) values.push(input.sourcePortRange);
  if (isUnresolved(input.sourcePortRanges)) return false;
  if (Array.isArray(input.sourcePortRanges)) values.push(...(input.sourcePortRanges as RawScalar[]));
  if (values.length === 0) return true;
  return values.some((v) => {
    if (typeof v !== "string" && typeof v !== "number") return false;
    const r = parsePortSpec(String(v));
    return r.ok && r.value.length === 1 && r.value[0]![0] === 0 && r.value[0]![1] === 65536;
  });
}

/**
 * Application security groups are NICs inside the VNet, never Internet sources, so their ids never
 * make a rule unevaluable. An id we cannot read is its own group in an Allow, and in a Deny covers
 * nothing for sure.
 */
function asgIds(v: RawList, role: Role): string[] {
  if (v === undefined || v === null) return [];
  if (isUnresolved(v)) return role === "allow" ? [`?${v.text}`] : [];
  if (!Array.isArray(v)) return role === "allow" ? [`?${String(v)}`] : [];
  const out: string[] = [];
  for (const item of v as readonly (RawScalar | { id?: unknown })[]) {
    const raw =
      typeof item === "object" && item !== null && !isUnresolved(item) && "id" in item
        ? (item.id as RawScalar)
        : (item as RawScalar);
    if (typeof raw === "string" && raw.trim() !== "") out.push(raw.trim());
    else if (role === "allow") out.push(`?${isUnresolved(raw) ? raw.text : String(raw)}`);
  }
  return out;
}

function readAddresses(
  side: "source" | "destination",
  single: RawScalar,
  many: RawList,
  asgs: RawList,
  p: Problems,
  opts: ParseOptions,
  role: Role,
): { set: AddressSet; parts: ParsedSource[] } | undefined {
  const prefixField = `${side}AddressPrefix`;
  const texts: { field: string; value: string }[] = [];
  const one = text(prefixField, single, p);
  if (one !== undefined) texts.push({ field: prefixField, value: one });
  const lst = list(`${prefixField}es`, many, p);
  texts.push(...lst.values.map((value) => ({ field: `${prefixField}es`, value })));
  const asgList = { values: asgIds(asgs, role) };
  const asgGiven = asgs !== undefined && asgs !== null && !(Array.isArray(asgs) && asgs.length === 0);

  // The common case, one prefix: reuse the memoized parse as is.
  if (texts.length === 1 && !asgGiven) {
    const r = parseAddress(texts[0]!.value, opts.trustedTags, role);
    if (r.ok) return { set: r.value.set, parts: [r.value] };
  }
  const parts: ParsedSource[] = [];
  let set = EMPTY;
  let bad = false;
  for (const t of texts) {
    const r = parseAddress(t.value, opts.trustedTags, role);
    if (!r.ok) {
      p.add(t.field, t.value, r.reason);
      bad = true;
      continue;
    }
    parts.push(r.value);
    set = addrUnion(set, r.value.set);
  }
  for (const id of asgList.values) {
    const s = asgSource(id);
    parts.push(s);
    set = addrUnion(set, s.set);
  }
  if (parts.length === 0 && !bad) {
    // A Deny whose only groups cannot be identified covers nothing for sure.
    if (asgGiven) return { set: EMPTY, parts };
    const unresolved = isUnresolved(single) || isUnresolved(many);
    if (!unresolved) p.missing(prefixField, `no ${side} address, prefix list or application security group is given`);
    return undefined;
  }
  return bad ? undefined : { set, parts };
}
