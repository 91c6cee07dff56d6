/**
 * Narrowing an exposing rule's source: the fix the runbook's first step asks for ("restrict the RDP
 * port to a specific user's IP"). Works on plain property bags of any supported rule shape.
 */

const SOURCE_SINGLE = ["sourceAddressPrefix", "source_address_prefix"];
const SOURCE_LIST = ["sourceAddressPrefixes", "source_address_prefixes"];

/** Returns a copy of `rule` whose sources are exactly `prefixes`, keeping the property spelling. */
export function narrowRuleSource(
  rule: Readonly<Record<string, unknown>>,
  prefixes: readonly string[],
): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...rule };
  const target =
    "properties" in copy && typeof copy.properties === "object" && copy.properties !== null
      ? ((copy.properties = { ...(copy.properties as Record<string, unknown>) }) as Record<string, unknown>)
      : copy;
  const snake = Object.keys(target).some((k) => k.includes("_"));
  for (const k of [...SOURCE_SINGLE, ...SOURCE_LIST]) delete target[k];
  if (prefixes.length === 1) target[snake ? "source_address_prefix" : "sourceAddressPrefix"] = prefixes[0];
  else target[snake ? "source_address_prefixes" : "sourceAddressPrefixes"] = [...prefixes];
  return copy;
}

/**
 * Rewrites the named inbound Allow rules of an inline rule list; other rules are returned untouched.
 * Only an inbound Allow can expose RDP: a Deny or an outbound rule that happens to share the name
 * keeps its sources (narrowing a Deny would open what it blocks).
 */
export function narrowNamedRules(
  rules: readonly Readonly<Record<string, unknown>>[],
  exposingNames: ReadonlySet<string>,
  prefixes: readonly string[],
): Record<string, unknown>[] {
  return rules.map((r) =>
    typeof r.name === "string" && exposingNames.has(r.name) && isInboundAllow(r)
      ? narrowRuleSource(r, prefixes)
      : { ...r },
  );
}

function isInboundAllow(rule: Readonly<Record<string, unknown>>): boolean {
  const props =
    typeof rule.properties === "object" && rule.properties !== null
      ? (rule.properties as Record<string, unknown>)
      : rule;
  const text = (v: unknown): string => (typeof v === "string" ? v.trim().toLowerCase() : "");
  return text(props.access) === "allow" && text(props.direction) === "inbound";
}
