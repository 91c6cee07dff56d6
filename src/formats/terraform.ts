import { NsgInput, RuleInput, SourceLocation } from "../nsg/rules";
import { VmFacts } from "../vm/hints";
import { elements, isRecord, plainGet, readRule } from "./fields";
import { JsonDocument } from "./json-source";
import { groupNsgs } from "./pulumi-resource";
import { ParsedInput } from "./types";

/** `terraform show -json plan.out` (planned_values) or `terraform show -json` of state (values). */
export function isTerraformJson(v: unknown): boolean {
  return isRecord(v) && typeof v.format_version === "string" && (isRecord(v.planned_values) || isRecord(v.values));
}

interface TfResource { address: string; type: string; name: string; values: Record<string, unknown>; path: (string | number)[] }

function* modules(mod: unknown, path: (string | number)[]): Generator<TfResource> {
  if (!isRecord(mod)) return;
  if (Array.isArray(mod.resources)) {
    for (const [i, r] of mod.resources.entries()) {
      if (isRecord(r) && typeof r.type === "string" && isRecord(r.values) && r.mode !== "data") {
        yield { address: String(r.address), type: r.type, name: String(r.name), values: r.values, path: [...path, "resources", i] };
      }
    }
  }
  if (Array.isArray(mod.child_modules)) {
    for (const [i, c] of mod.child_modules.entries()) yield* modules(c, [...path, "child_modules", i]);
  }
}

/** Marks values Terraform only knows after apply (`after_unknown: true`) as unknown. */
function overlayUnknown(values: unknown, unknown: unknown, label: string): unknown {
  if (unknown === true) return { unresolved: "unknown", text: `(known after apply: ${label})` };
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

export function parseTerraform(doc: JsonDocument): ParsedInput {
  const root = doc.value as Record<string, unknown>;
  const [top, topKey] = isRecord(root.planned_values) ? [root.planned_values, "planned_values"] : [root.values, "values"];
  const unknownByAddress = new Map<string, unknown>();
  if (Array.isArray(root.resource_changes)) {
    for (const c of root.resource_changes) {
      if (isRecord(c) && isRecord(c.change) && c.change.after_unknown !== undefined) unknownByAddress.set(String(c.address), c.change.after_unknown);
    }
  }
  const nsgs: { nsg: NsgInput; key?: string }[] = [];
  const rules: { rule: RuleInput; nsgName: string; key?: string }[] = [];
  const vms: VmFacts[] = [];
  const extensions = new Set<string>();
  let count = 0;
  for (const r of modules(isRecord(top) ? top.root_module : undefined, [topKey, "root_module"])) {
    count++;
    const values = overlayUnknown(r.values, unknownByAddress.get(r.address), r.address) as Record<string, unknown>;
    const location: SourceLocation = { file: doc.file, jsonPath: r.path };
    const rg = typeof values.resource_group_name === "string" ? values.resource_group_name.toLowerCase() : "";
    if (r.type === "azurerm_network_security_group") {
      const list = Array.isArray(values.security_rule) ? elements(values.security_rule, plainGet) : [];
      const name = typeof values.name === "string" ? values.name : r.address;
      nsgs.push({
        nsg: {
          id: r.address, name, type: r.type, location,
          rules: list.filter(isRecord).map((x, i) => readRule(x, { fallbackName: `security_rule[${i}]`, location })),
          unresolvedRules: typeof values.security_rule === "object" && values.security_rule !== null && !Array.isArray(values.security_rule) ? { unresolved: "unknown", text: `${r.address}.security_rule` } : undefined,
        },
        key: `${rg}/${name.toLowerCase()}`,
      });
    } else if (r.type === "azurerm_network_security_rule") {
      const nsgName = typeof values.network_security_group_name === "string" ? values.network_security_group_name : "(NSG known after apply)";
      rules.push({ rule: readRule(values, { fallbackName: r.name, resourceId: r.address, location }), nsgName, key: `${rg}/${nsgName.toLowerCase()}` });
    } else if (r.type === "azurerm_windows_virtual_machine") {
      const bd = values.boot_diagnostics;
      vms.push({ id: r.address, name: typeof values.name === "string" ? values.name : r.address, type: r.type, location, bootDiagnostics: Array.isArray(bd) ? bd.length > 0 : bd !== undefined && bd !== null, hardened: undefined });
    } else if (r.type === "azurerm_virtual_machine_extension" && typeof values.name === "string" && /rdp-guard|rdp-hardening/i.test(values.name)) {
      extensions.add(String(values.virtual_machine_id ?? "").toLowerCase());
    }
  }
  const hardenedIds = [...extensions];
  return {
    format: "terraform",
    nsgs: groupNsgs(nsgs, rules),
    // The extension refers to the VM by id, which a plan often only knows after apply: match by name.
    vms: vms.map((v) => ({ ...v, hardened: hardenedIds.some((id) => id.endsWith(`/${v.name.toLowerCase()}`)) })),
    resources: count,
  };
}
