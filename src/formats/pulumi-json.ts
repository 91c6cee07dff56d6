import { NsgInput, RuleInput } from "../nsg/rules";
import { VmFacts } from "../vm/hints";
import { isRecord } from "./fields";
import { JsonDocument } from "./json-source";
import { PulumiResource, groupNsgs, hardenedVmNames, isNsgType, isRuleType, nsgFromPulumi, ruleFromPulumi, windowsVmFromPulumi } from "./pulumi-resource";
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

function fromResources(format: FormatName, items: { r: PulumiResource }[]): ParsedInput {
  const resources = items.map((i) => i.r);
  const nsgs: { nsg: NsgInput; key?: string }[] = [];
  const rules: { rule: RuleInput; nsgName: string; key?: string }[] = [];
  const vms: VmFacts[] = [];
  const hardened = hardenedVmNames(resources);
  for (const r of resources) {
    if (isNsgType(r.type)) nsgs.push(nsgFromPulumi(r));
    else if (isRuleType(r.type)) rules.push(ruleFromPulumi(r));
    else {
      const vm = windowsVmFromPulumi(r);
      if (vm) vms.push({ id: vm.urn, name: vm.name, type: vm.type, bootDiagnostics: vm.bootDiagnostics, hardened: hardened.has(vm.name.toLowerCase()), location: r.location });
    }
  }
  return { format, nsgs: groupNsgs(nsgs, rules), vms, resources: resources.length };
}

export function parsePulumiPreview(doc: JsonDocument): ParsedInput {
  const steps = (doc.value as { steps: unknown[] }).steps;
  const items: { r: PulumiResource }[] = [];
  steps.forEach((s, i) => {
    if (!isRecord(s) || s.op === "delete" || s.op === "discard" || !isRecord(s.newState)) return;
    const st = s.newState;
    const urn = typeof s.urn === "string" ? s.urn : String(st.urn ?? `step ${i}`);
    const props = isRecord(st.inputs) ? st.inputs : isRecord(st.outputs) ? st.outputs : {};
    items.push({ r: { type: String(st.type ?? ""), urn, name: logicalName(urn), props, location: { file: doc.file, jsonPath: ["steps", i] } } });
  });
  return fromResources("pulumi-preview", items);
}

export function parsePulumiStackExport(doc: JsonDocument): ParsedInput {
  const resources = (doc.value as { deployment: { resources: unknown[] } }).deployment.resources;
  const items: { r: PulumiResource }[] = [];
  resources.forEach((res, i) => {
    if (!isRecord(res) || typeof res.type !== "string" || typeof res.urn !== "string") return;
    // Inputs are what the program declared; outputs also list rules other resources added.
    const props = isRecord(res.inputs) && Object.keys(res.inputs).length > 0 ? res.inputs : isRecord(res.outputs) ? res.outputs : {};
    items.push({ r: { type: res.type, urn: res.urn, name: logicalName(res.urn), props, location: { file: doc.file, jsonPath: ["deployment", "resources", i] } } });
  });
  return fromResources("pulumi-stack", items);
}
