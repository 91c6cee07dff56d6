import { RawList, RawScalar, RuleInput, SourceLocation, isUnresolved, unresolved } from "../nsg/rules";

/** Pulumi's marker for a value that is unknown during preview (engine wire format). */
export const PULUMI_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** All of the engine's unknown markers, one per value kind (string, bool, number, array, ...). */
const PULUMI_UNKNOWNS = new Set([
  PULUMI_UNKNOWN,
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/**
 * Reads one property. Formats inject their own: the policy pack's turns Pulumi's unknown-value
 * errors into `Unresolved`, the ARM reader resolves template expressions.
 */
export type Getter = (obj: Record<string, unknown>, key: string) => unknown;

/** For formats that have no unknown values (az, ARM, Terraform): every value is what it says. */
export const literalGet: Getter = (obj, key) => obj[key];

/** For Pulumi inputs: the engine's unknown markers become `Unresolved`. */
export const plainGet: Getter = (obj, key) => {
  const v = obj[key];
  if (typeof v === "string" && v.length === 36 && PULUMI_UNKNOWNS.has(v))
    return unresolved("unknown", `<computed ${key}>`);
  return v;
};

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !isUnresolved(v);
}

/** Canonical field → the spellings inputs use (camelCase SDK/ARM/az, snake_case Terraform). */
const ALIASES: Record<
  keyof Omit<RuleInput, "isDefault" | "resourceId" | "location" | "unreadable">,
  readonly string[]
> = {
  name: ["name"],
  priority: ["priority"],
  direction: ["direction"],
  access: ["access"],
  protocol: ["protocol"],
  sourceAddressPrefix: ["sourceAddressPrefix", "source_address_prefix"],
  sourceAddressPrefixes: ["sourceAddressPrefixes", "source_address_prefixes"],
  sourceApplicationSecurityGroups: [
    "sourceApplicationSecurityGroups",
    "sourceApplicationSecurityGroupIds",
    "source_application_security_group_ids",
  ],
  destinationAddressPrefix: ["destinationAddressPrefix", "destination_address_prefix"],
  destinationAddressPrefixes: ["destinationAddressPrefixes", "destination_address_prefixes"],
  destinationApplicationSecurityGroups: [
    "destinationApplicationSecurityGroups",
    "destinationApplicationSecurityGroupIds",
    "destination_application_security_group_ids",
  ],
  destinationPortRange: ["destinationPortRange", "destination_port_range"],
  destinationPortRanges: ["destinationPortRanges", "destination_port_ranges"],
  sourcePortRange: ["sourcePortRange", "source_port_range"],
  sourcePortRanges: ["sourcePortRanges", "source_port_ranges"],
};

function pick(obj: Record<string, unknown>, names: readonly string[], get: Getter): unknown {
  for (const n of names) {
    const v = get(obj, n);
    if (v !== undefined) return v;
  }
  return undefined;
}

function scalar(v: unknown): RawScalar {
  if (
    v === undefined ||
    v === null ||
    typeof v === "string" ||
    typeof v === "number" ||
    typeof v === "boolean" ||
    isUnresolved(v)
  )
    return v;
  // Objects and arrays where a scalar belongs are passed through as text so the engine reports them.
  return JSON.stringify(v);
}

/**
 * A rule list entry that is not a rule object (an expression, a number, an unknown element): kept
 * as an unreadable rule, so it is reported instead of read as "no rule".
 */
export function unreadableRule(item: unknown, name: string, location?: SourceLocation): RuleInput {
  const value = isUnresolved(item)
    ? item.text
    : typeof item === "string"
      ? item
      : (JSON.stringify(item) ?? String(item));
  const reason =
    isUnresolved(item) && item.unresolved === "expression"
      ? "the rule is an expression that cannot be resolved statically"
      : isUnresolved(item)
        ? "the rule is not known yet"
        : "a security rule must be an object";
  return {
    name,
    location,
    unreadable: {
      value,
      reason,
      kind: isUnresolved(item) && item.unresolved === "unknown" ? "unknown" : "unevaluable",
    },
  };
}

/** Why a `securityRules` value that is neither a list nor an expression cannot be read. */
export function ruleListShapeProblem(v: unknown): { value: string; reason: string } | undefined {
  if (v === undefined || v === null || Array.isArray(v) || isUnresolved(v)) return undefined;
  const value = typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
  return {
    value: value.length > 200 ? `${value.slice(0, 200)}...` : value,
    reason: `the rule list must be a list, not ${typeof v === "object" ? "an object" : `a ${typeof v}`}`,
  };
}

/** Reads array elements through `get`, so an unknown element becomes `Unresolved`, not an exception. */
export function elements(v: readonly unknown[], get: Getter): unknown[] {
  const out: unknown[] = [];
  const arr = v as unknown as Record<string, unknown>;
  for (let i = 0; i < v.length; i++) out.push(get(arr, String(i)));
  return out;
}

function listOf(v: unknown, get: Getter): RawList {
  if (v === undefined || v === null || isUnresolved(v)) return v;
  if (!Array.isArray(v)) return [scalar(v)];
  return elements(v, get).map((item) => (isRecord(item) ? scalar(get(item, "id")) : scalar(item)));
}

export interface ReadRuleOptions {
  readonly get?: Getter;
  readonly fallbackName?: string;
  readonly resourceId?: string;
  readonly location?: SourceLocation;
  readonly isDefault?: boolean;
}

/**
 * Reads a security rule from any supported shape: flat (Pulumi, az, Terraform) or with the fields
 * under `properties` (ARM). Unknown field names are ignored; missing ones stay undefined so the
 * engine reports them.
 */
export function readRule(obj: Record<string, unknown>, opts: ReadRuleOptions = {}): RuleInput {
  const get = opts.get ?? literalGet;
  const props = get(obj, "properties");
  const src = isRecord(props) ? props : obj;
  const nameRaw = pick(obj, ["name", "securityRuleName"], get);
  const name =
    typeof nameRaw === "string" && nameRaw.trim() !== ""
      ? nameRaw.split("/").pop()!.trim()
      : (opts.fallbackName ?? "(unnamed rule)");
  const field = (k: keyof typeof ALIASES): unknown => pick(src, ALIASES[k], get);
  return {
    name,
    priority: scalar(field("priority")),
    direction: scalar(field("direction")),
    access: scalar(field("access")),
    protocol: scalar(field("protocol")),
    sourceAddressPrefix: scalar(field("sourceAddressPrefix")),
    sourceAddressPrefixes: listOf(field("sourceAddressPrefixes"), get),
    sourceApplicationSecurityGroups: listOf(field("sourceApplicationSecurityGroups"), get),
    destinationAddressPrefix: scalar(field("destinationAddressPrefix")),
    destinationAddressPrefixes: listOf(field("destinationAddressPrefixes"), get),
    destinationApplicationSecurityGroups: listOf(field("destinationApplicationSecurityGroups"), get),
    destinationPortRange: scalar(field("destinationPortRange")),
    destinationPortRanges: listOf(field("destinationPortRanges"), get),
    sourcePortRange: scalar(field("sourcePortRange")),
    sourcePortRanges: listOf(field("sourcePortRanges"), get),
    isDefault: opts.isDefault,
    resourceId: opts.resourceId,
    location: opts.location,
  };
}
