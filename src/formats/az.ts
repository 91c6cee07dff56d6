import { NsgInput, RuleInput } from "../nsg/rules";
import { elements, isRecord, literalGet, readRule, ruleListShapeProblem, unreadableRule } from "./fields";
import { JsonDocument } from "./json-source";
import { ParsedInput } from "./types";

const NSG_TYPE = /^microsoft\.network\/networksecuritygroups$/i;

function isAzNsg(v: unknown): v is Record<string, unknown> {
  return (
    isRecord(v) &&
    typeof v.type === "string" &&
    NSG_TYPE.test(v.type) &&
    ("securityRules" in v || "defaultSecurityRules" in v)
  );
}

/** `az network nsg list -o json` (an array) or `az network nsg show -o json` (one object). */
export function isAzExport(v: unknown): boolean {
  return isAzNsg(v) || (Array.isArray(v) && v.length > 0 && v.every(isAzNsg));
}

export function parseAz(doc: JsonDocument): ParsedInput {
  const list = Array.isArray(doc.value) ? doc.value : [doc.value];
  const nsgs: NsgInput[] = [];
  list.forEach((raw: unknown, i: number) => {
    if (!isAzNsg(raw)) return;
    const base = Array.isArray(doc.value) ? [i] : [];
    const rules: RuleInput[] = [];
    let unreadableRules: NsgInput["unreadableRules"];
    for (const [field, isDefault] of [
      ["securityRules", false],
      ["defaultSecurityRules", true],
    ] as const) {
      const arr = raw[field];
      unreadableRules ??= ruleListShapeProblem(arr);
      if (!Array.isArray(arr)) continue;
      elements(arr, literalGet).forEach((r, j) => {
        const location = { file: doc.file, jsonPath: [...base, field, j] };
        if (isRecord(r)) rules.push(readRule(r, { isDefault, fallbackName: `${field}[${j}]`, location }));
        else rules.push(unreadableRule(r, `${field}[${j}]`, location));
      });
    }
    const name = typeof raw.name === "string" ? raw.name : `nsg[${i}]`;
    nsgs.push({
      id: typeof raw.id === "string" ? raw.id : name,
      name,
      type: "Microsoft.Network/networkSecurityGroups",
      rules,
      location: { file: doc.file, jsonPath: base },
      unreadableRules,
    });
  });
  return { format: "az", nsgs, vms: [], resources: list.length };
}
