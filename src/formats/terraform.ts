import { SourceLocation, isUnresolved, unresolved } from "../nsg/rules";
import { VmFacts } from "../vm/hints";
import { elements, isRecord, literalGet, readRule, ruleListShapeProblem, unreadableRule } from "./fields";
import { JsonDocument } from "./json-source";
import { NsgEntry, RuleEntry, groupKey, groupNsgs } from "./pulumi-resource";
import { ParsedInput } from "./types";

/** `terraform show -json plan.out` (planned_values) or `terraform show -json` of state (values). */
export function isTerraformJson(v: unknown): boolean {
  return isRecord(v) && typeof v.format_version === "string" && (isRecord(v.planned_values) || isRecord(v.values));
}

interface TfResource {
  address: string;
  type: string;
  name: string;
  values: Record<string, unknown>;
  path: (string | number)[];
}

function* modules(mod: unknown, path: (string | number)[]): Generator<TfResource> {
  if (!isRecord(mod)) return;
  if (Array.isArray(mod.resources)) {
    for (const [i, r] of mod.resources.entries()) {
      if (isRecord(r) && typeof r.type === "string" && isRecord(r.values) && r.mode !== "data") {
        yield {
          address: String(r.address),
          type: r.type,
          name: String(r.name),
          values: r.values,
          path: [...path, "resources", i],
        };
      }
    }
  }
  if (Array.isArray(mod.child_modules)) {
    for (const [i, c] of mod.child_modules.entries()) yield* modules(c, [...path, "child_modules", i]);
  }
}

/** Marks values Terraform only knows after apply (`after_unknown: true`) as unknown. */
function overlayUnknown(values: unknown, unknown: unknown, label: string): unknown {
  if (unknown === true) return unresolved("unknown", `(known after apply: ${label})`);
  if (Array.isArray(unknown)) {
    const arr = Array.isArray(values) ? [...values] : [];
    unknown.forEach((u, i) => (arr[i] = overlayUnknown(arr[i], u, `${label}[${i}]`)));
    return arr;
  }
  if (isRecord(unknown)) {
    const obj: Record<string, unknown> = isRecord(values) ? { ...values } : {};
    for (const [k, u] of Object.entries(unknown)) obj[k] = overlayUnknown(obj[k], u, `${label}.${k}`);
    return obj;
  }
  return values;
}

/** Configuration address of a planned instance: module path and resource, without instance keys. */
function configAddress(address: string): string {
  return address.replace(/\[[^\]]*\]/g, "");
}

/**
 * For each standalone rule (by configuration address), the configuration address of the NSG its
 * `network_security_group_name` refers to, read from the plan's `configuration` section.
 */
function nsgReferences(root: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (mod: unknown, prefix: string): void => {
    if (!isRecord(mod)) return;
    for (const r of Array.isArray(mod.resources) ? mod.resources : []) {
      if (!isRecord(r) || r.type !== "azurerm_network_security_rule" || !isRecord(r.expressions)) continue;
      const expr = r.expressions.network_security_group_name;
      const refs =
        isRecord(expr) && Array.isArray(expr.references)
          ? expr.references.filter((x): x is string => typeof x === "string")
          : [];
      const nsgs = new Set(
        refs
          .filter((x) => x.startsWith("azurerm_network_security_group."))
          .map((x) => x.split(".").slice(0, 2).join(".")),
      );
      if (nsgs.size === 1 && refs.every((x) => x.startsWith("azurerm_network_security_group."))) {
        out.set(`${prefix}${String(r.address)}`, `${prefix}${[...nsgs][0]!}`);
      }
    }
    if (isRecord(mod.module_calls)) {
      for (const [name, call] of Object.entries(mod.module_calls))
        if (isRecord(call)) visit(call.module, `${prefix}module.${name}.`);
    }
  };
  visit(isRecord(root.configuration) ? root.configuration.root_module : undefined, "");
  return out;
}

export function parseTerraform(doc: JsonDocument): ParsedInput {
  const root = doc.value as Record<string, unknown>;
  const [top, topKey] = isRecord(root.planned_values)
    ? [root.planned_values, "planned_values"]
    : [root.values, "values"];
  const unknownByAddress = new Map<string, unknown>();
  if (Array.isArray(root.resource_changes)) {
    for (const c of root.resource_changes) {
      if (isRecord(c) && isRecord(c.change) && c.change.after_unknown !== undefined)
        unknownByAddress.set(String(c.address), c.change.after_unknown);
    }
  }
  const references = nsgReferences(root);
  const nsgs: NsgEntry[] = [];
  const rules: RuleEntry[] = [];
  const vms: VmFacts[] = [];
  const extensions = new Set<string>();
  const nsgInstances = new Map<string, string[]>();
  let count = 0;
  for (const r of modules(isRecord(top) ? top.root_module : undefined, [topKey, "root_module"])) {
    count++;
    const values = overlayUnknown(r.values, unknownByAddress.get(r.address), r.address) as Record<string, unknown>;
    const location: SourceLocation = { file: doc.file, jsonPath: r.path };
    const rg = values.resource_group_name;
    if (r.type === "azurerm_network_security_group") {
      const raw = values.security_rule;
      const list = Array.isArray(raw) ? elements(raw, literalGet) : [];
      const name = typeof values.name === "string" ? values.name : r.address;
      const ruleInputs = list.map((x, i) =>
        isRecord(x)
          ? readRule(x, { fallbackName: `security_rule[${i}]`, location })
          : unreadableRule(x, `security_rule[${i}]`, location),
      );
      nsgs.push({
        nsg: {
          id: r.address,
          name,
          type: r.type,
          location,
          rules: ruleInputs,
          unresolvedRules: isUnresolved(raw) ? raw : undefined,
          unreadableRules: ruleListShapeProblem(raw),
        },
        key: groupKey(rg, values.name),
        ref: r.address,
      });
      const conf = configAddress(r.address);
      nsgInstances.set(conf, [...(nsgInstances.get(conf) ?? []), r.address]);
    } else if (r.type === "azurerm_network_security_rule") {
      const nsgName =
        typeof values.network_security_group_name === "string"
          ? values.network_security_group_name
          : "(NSG known after apply)";
      rules.push({
        rule: readRule(values, { fallbackName: r.name, resourceId: r.address, location }),
        nsgName,
        key: groupKey(rg, values.network_security_group_name),
        ref: configAddress(r.address),
        why:
          "its network_security_group_name is known only after apply " +
          "and does not refer to exactly one NSG of the plan",
      });
    } else if (r.type === "azurerm_windows_virtual_machine") {
      const bd = values.boot_diagnostics;
      vms.push({
        id: r.address,
        name: typeof values.name === "string" ? values.name : r.address,
        type: r.type,
        location,
        bootDiagnostics: Array.isArray(bd) ? bd.length > 0 : bd !== undefined && bd !== null,
        hardened: undefined,
      });
    } else if (
      r.type === "azurerm_virtual_machine_extension" &&
      typeof values.name === "string" &&
      /rdp-guard|rdp-hardening/i.test(values.name)
    ) {
      extensions.add(String(values.virtual_machine_id ?? "").toLowerCase());
    }
  }
  // A rule refers to its NSG by configuration address; with count/for_each that must be one instance.
  const resolved = rules.map((r) => {
    if (r.key) return { ...r, ref: undefined };
    const target = references.get(r.ref ?? "");
    const instances = target ? (nsgInstances.get(target) ?? []) : [];
    return { ...r, ref: instances.length === 1 ? instances[0] : undefined };
  });
  const hardenedIds = [...extensions];
  return {
    format: "terraform",
    nsgs: groupNsgs(nsgs, resolved).map((n) => ({ ...n, unknownsUntil: "terraform-apply" as const })),
    // The extension refers to the VM by id, which a plan often only knows after apply: match by name.
    vms: vms.map((v) => ({ ...v, hardened: hardenedIds.some((id) => id.endsWith(`/${v.name.toLowerCase()}`)) })),
    resources: count,
  };
}
