import { NsgInput, RuleInput, isUnresolved } from "../nsg/rules";
import { VmFacts } from "../vm/hints";
import { isRecord } from "./fields";
import { JsonDocument } from "./json-source";
import {
  NsgEntry,
  PulumiResource,
  RuleEntry,
  groupNsgs,
  hardenedVmNames,
  isNsgType,
  isRuleType,
  nsgFromPulumi,
  ruleFromPulumi,
  windowsVmFromPulumi,
} from "./pulumi-resource";
import { FormatName, ParsedInput } from "./types";

/** `pulumi preview --json`: steps with the planned new state. */
export function isPulumiPreview(v: unknown): boolean {
  return isRecord(v) && Array.isArray(v.steps);
}

/** `pulumi stack export`: a deployment checkpoint. */
export function isPulumiStackExport(v: unknown): boolean {
  return isRecord(v) && isRecord(v.deployment) && Array.isArray(v.deployment.resources);
}

const logicalName = (urn: string): string => urn.split("::").pop() ?? urn;

function dependencies(state: Record<string, unknown>): Pick<PulumiResource, "propertyDependencies" | "parent"> {
  const deps: Record<string, string[]> = {};
  if (isRecord(state.propertyDependencies)) {
    for (const [k, v] of Object.entries(state.propertyDependencies)) {
      if (Array.isArray(v)) deps[k] = v.filter((u): u is string => typeof u === "string");
    }
  }
  return { propertyDependencies: deps, parent: typeof state.parent === "string" ? state.parent : undefined };
}

function fromResources(format: FormatName, items: { r: PulumiResource; declared?: PulumiResource }[]): ParsedInput {
  const resources = items.map((i) => i.r);
  const nsgs: NsgEntry[] = [];
  const rules: RuleEntry[] = [];
  const vms: VmFacts[] = [];
  const hardened = hardenedVmNames(resources);
  for (const { r, declared } of items) {
    if (isNsgType(r.type)) {
      const deployed = nsgFromPulumi(r);
      if (!declared) nsgs.push(deployed);
      else {
        // Both states, each with its standalone rules; compared once grouped.
        nsgs.push({ ...deployed, nsg: { ...deployed.nsg, view: "deployed" } });
        nsgs.push({ ...deployed, nsg: { ...nsgFromPulumi(declared).nsg, name: deployed.nsg.name, view: "declared" } });
      }
    } else if (isRuleType(r.type)) rules.push(ruleFromPulumi(r));
    else {
      const vm = windowsVmFromPulumi(r);
      if (vm)
        vms.push({
          id: vm.urn,
          name: vm.name,
          type: vm.type,
          bootDiagnostics: vm.bootDiagnostics,
          hardened: hardened.has(vm.name.toLowerCase()),
          location: r.location,
        });
    }
  }
  return { format, nsgs: withoutSameViews(groupNsgs(nsgs, rules)), vms, resources: resources.length };
}

/** Drift only: when an NSG's declared and deployed rules agree, the deployed state alone is judged. */
function withoutSameViews(nsgs: NsgInput[]): NsgInput[] {
  const deployed = new Map(nsgs.filter((n) => n.view === "deployed").map((n) => [n.id, n]));
  const drifted = new Set<string>();
  for (const n of nsgs) {
    const d = n.view === "declared" ? deployed.get(n.id) : undefined;
    if (d && !sameRules(d.rules, n.rules)) drifted.add(n.id);
  }
  return nsgs.flatMap((n) => {
    if (!n.view || drifted.has(n.id)) return [n];
    return n.view === "declared" ? [] : [{ ...n, view: undefined }];
  });
}

/** Rule lists equal as Azure sees them: same names with the same verdict-relevant values. */
function sameRules(a: readonly RuleInput[], b: readonly RuleInput[]): boolean {
  const canon = (rules: readonly RuleInput[]): string => JSON.stringify(rules.map(canonicalRule).sort());
  return canon(a) === canon(b);
}

function canonicalRule(r: RuleInput): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(norm).map(String).sort();
    if (typeof v === "string") return v.trim().toLowerCase() === "" ? undefined : v.trim().toLowerCase();
    if (typeof v === "number") return String(v);
    return v === null ? undefined : isUnresolved(v) ? `?${v.text}` : v;
  };
  const { location: _l, resourceId: _r, isDefault: _d, ...fields } = r;
  return JSON.stringify(
    Object.fromEntries(
      Object.entries(fields)
        .map(([k, v]) => [k, norm(v)])
        .sort(([x], [y]) => String(x).localeCompare(String(y))),
    ),
  );
}

export function parsePulumiPreview(doc: JsonDocument): ParsedInput {
  const steps = (doc.value as { steps: unknown[] }).steps;
  const items: { r: PulumiResource }[] = [];
  steps.forEach((s, i) => {
    if (!isRecord(s) || s.op === "delete" || s.op === "discard" || !isRecord(s.newState)) return;
    const st = s.newState;
    const urn = typeof s.urn === "string" ? s.urn : String(st.urn ?? `step ${i}`);
    const props = isRecord(st.inputs) ? st.inputs : isRecord(st.outputs) ? st.outputs : {};
    items.push({
      r: {
        type: String(st.type ?? ""),
        urn,
        name: logicalName(urn),
        props,
        location: { file: doc.file, jsonPath: ["steps", i] },
        ...dependencies(st),
      },
    });
  });
  return fromResources("pulumi-preview", items);
}

/**
 * `pulumi stack export`: the deployed state (`outputs`) is judged when it is there, since it also
 * holds rules added by other stacks, the portal or a refresh. When the program's `inputs` declare a
 * different rule list, both are judged and each finding says which state it comes from.
 */
export function parsePulumiStackExport(doc: JsonDocument): ParsedInput {
  const resources = (doc.value as { deployment: { resources: unknown[] } }).deployment.resources;
  const items: { r: PulumiResource; declared?: PulumiResource }[] = [];
  resources.forEach((res, i) => {
    if (!isRecord(res) || typeof res.type !== "string" || typeof res.urn !== "string") return;
    const inputs = isRecord(res.inputs) && Object.keys(res.inputs).length > 0 ? res.inputs : undefined;
    const outputs = isRecord(res.outputs) && Object.keys(res.outputs).length > 0 ? res.outputs : undefined;
    const base = {
      type: res.type,
      urn: res.urn,
      name: logicalName(res.urn),
      location: { file: doc.file, jsonPath: ["deployment", "resources", i] },
      ...dependencies(res),
    };
    // Outputs hold the deployed rule list; inputs name the resource group the outputs do not repeat.
    const deployedRules = outputs && Array.isArray(outputs.securityRules);
    const props = deployedRules ? { ...inputs, ...outputs } : (inputs ?? outputs ?? {});
    items.push({ r: { ...base, props }, declared: deployedRules && inputs ? { ...base, props: inputs } : undefined });
  });
  return fromResources("pulumi-stack", items);
}
