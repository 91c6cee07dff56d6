import { RuleInput, SourceLocation, Unresolved, isUnresolved, unresolved } from "../nsg/rules";
import { VmFacts } from "../vm/hints";
import { ArmScope, UnresolvedError, evaluateArmString, isExpression } from "./arm-expressions";
import { elements, isRecord, literalGet, readRule, ruleListShapeProblem, unreadableRule } from "./fields";
import { JsonDocument } from "./json-source";
import { ParsedInput } from "./types";
import { NsgEntry, RuleEntry, groupNsgs } from "./pulumi-resource";
import { isWindowsVm } from "../vm/windows";

const NSG = "microsoft.network/networksecuritygroups";
const RULE = "microsoft.network/networksecuritygroups/securityrules";
const VM = "microsoft.compute/virtualmachines";
const EXTENSION = "microsoft.compute/virtualmachines/extensions";
const DEPLOYMENT = "microsoft.resources/deployments";

export function isArmTemplate(v: unknown): boolean {
  return (
    isRecord(v) &&
    ((typeof v.$schema === "string" && /deploymentTemplate\.json/i.test(v.$schema)) ||
      ("resources" in v && "contentVersion" in v))
  );
}

/** A parameters file (`{ parameters: { name: { value } } }`) for `--parameters`. */
export type ArmParameterValues = Readonly<Record<string, unknown>>;

export function readParametersFile(doc: JsonDocument): ArmParameterValues {
  const params = isRecord(doc.value) ? doc.value.parameters : undefined;
  if (!isRecord(params)) throw new Error(`${doc.file}: not an ARM parameters file (no "parameters" object)`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) if (isRecord(v) && "value" in v) out[k] = v.value;
  return out;
}

class TemplateScope implements ArmScope {
  private readonly resolving = new Set<string>();
  /** Each parameter and variable is resolved once: chained variables would otherwise grow exponentially. */
  private readonly settled = new Map<string, { value: unknown } | { error: string }>();
  constructor(
    private readonly template: Record<string, unknown>,
    private readonly values: ArmParameterValues,
    private readonly outer?: ArmScope,
  ) {}

  parameter(name: string): unknown {
    const defs = isRecord(this.template.parameters) ? this.template.parameters : {};
    const key = Object.keys(defs).find((k) => k.toLowerCase() === name.toLowerCase());
    const valueKey = Object.keys(this.values).find((k) => k.toLowerCase() === name.toLowerCase());
    if (valueKey !== undefined) return this.settle(`p:${name}`, this.values[valueKey], this.outer ?? this);
    const def = key ? defs[key] : undefined;
    if (isRecord(def) && "defaultValue" in def) return this.settle(`p:${name}`, def.defaultValue, this);
    throw new UnresolvedError(`parameter '${name}' has no value`);
  }

  variable(name: string): unknown {
    const vars = isRecord(this.template.variables) ? this.template.variables : {};
    const key = Object.keys(vars).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key === undefined) throw new UnresolvedError(`variable '${name}' is not defined`);
    return this.settle(`v:${name}`, vars[key], this);
  }

  private settle(name: string, raw: unknown, scope: ArmScope): unknown {
    const key = name.toLowerCase();
    const done = this.settled.get(key);
    if (done) {
      if ("error" in done) throw new UnresolvedError(done.error);
      return done.value;
    }
    if (this.resolving.has(key)) throw new UnresolvedError(`'${name}' refers to itself`);
    this.resolving.add(key);
    try {
      const v = resolveDeep(raw, scope);
      if (containsUnresolved(v)) throw new UnresolvedError(`'${name}' depends on deployment-time values`);
      this.settled.set(key, { value: v });
      return v;
    } catch (e) {
      if (e instanceof UnresolvedError) this.settled.set(key, { error: e.message });
      throw e;
    } finally {
      this.resolving.delete(key);
    }
  }
}

function containsUnresolved(v: unknown): boolean {
  if (isUnresolved(v)) return true;
  if (Array.isArray(v)) return v.some(containsUnresolved);
  if (isRecord(v)) return Object.values(v).some(containsUnresolved);
  return false;
}

/** Resolves every expression string in a value; unsupported ones become `Unresolved`. */
export function resolveDeep(v: unknown, scope: ArmScope): unknown {
  if (typeof v === "string") {
    const r = evaluateArmString(v, scope);
    return typeof r === "string" || !isExpression(v) ? r : resolveDeep(r, scope);
  }
  if (Array.isArray(v)) return v.map((x) => resolveDeep(x, scope));
  if (isRecord(v)) {
    if ("copy" in v) {
      // Property loops (`copy`) are expanded by ARM at deployment; report, don't guess.
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = k === "copy" ? x : resolveDeep(x, scope);
      for (const c of Array.isArray(v.copy) ? v.copy : []) {
        if (isRecord(c) && typeof c.name === "string") out[c.name] = unresolved("expression", `copy loop '${c.name}'`);
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = resolveDeep(x, scope);
    return out;
  }
  return v;
}

interface Walk {
  file: string;
  nsgs: NsgEntry[];
  rules: RuleEntry[];
  vms: { facts: Omit<VmFacts, "hardened">; key: string }[];
  extensions: Set<string>;
  resources: number;
}

const nameText = (v: unknown): string => (typeof v === "string" ? v : isUnresolved(v) ? v.text : "(unnamed)");

interface Parent {
  readonly type: string;
  readonly name: string;
  /** The template path of the parent resource: the identity of an NSG whose name is an expression. */
  readonly ref: string;
  /** Some enclosing resource or deployment has a condition that cannot be resolved. */
  readonly maybe: boolean;
}

/**
 * A resource's `condition`: `false` drops it; an unresolvable one keeps what can only add exposure
 * (an NSG, an Allow) and drops what could hide it (a Deny).
 */
function conditionOf(raw: Record<string, unknown>, scope: ArmScope): "yes" | "no" | "maybe" {
  if (!("condition" in raw)) return "yes";
  const c = resolveDeep(raw.condition, scope);
  if (c === false || (typeof c === "string" && c.toLowerCase() === "false")) return "no";
  if (c === true || (typeof c === "string" && c.toLowerCase() === "true")) return "yes";
  return "maybe";
}

function isDeny(rule: RuleInput): boolean {
  return typeof rule.access === "string" && rule.access.trim().toLowerCase() === "deny";
}

function walk(
  resources: unknown,
  scope: ArmScope,
  path: (string | number)[],
  parent: Parent | undefined,
  w: Walk,
  maybe = false,
): void {
  const entries: [string | number, unknown][] = Array.isArray(resources)
    ? resources.map((r, i) => [i, r])
    : isRecord(resources)
      ? Object.entries(resources)
      : [];
  for (const [idx, raw] of entries) {
    if (!isRecord(raw)) continue;
    w.resources++;
    const condition = conditionOf(raw, scope);
    if (condition === "no") continue;
    const conditional = maybe || condition === "maybe";
    const here = [...path, idx];
    const ref = `arm:${here.join("/")}`;
    const location: SourceLocation = { file: w.file, jsonPath: here };
    const typeRaw = typeof raw.type === "string" ? raw.type : "";
    const type = (parent && !typeRaw.includes("/") ? `${parent.type}/${typeRaw}` : typeRaw).toLowerCase();
    const resolvedName = resolveDeep(raw.name, scope);
    const ownName = nameText(resolvedName);
    const fullName = parent ? `${parent.name}/${ownName}` : ownName;
    const id = `${type}/${fullName}`;

    if (type === NSG) {
      const props = resolveDeep(raw.properties ?? {}, scope);
      const rulesRaw = isRecord(props) ? props.securityRules : isUnresolved(props) ? props : undefined;
      const rules: RuleInput[] = [];
      let unresolvedRules: Unresolved | undefined;
      if (isUnresolved(rulesRaw)) unresolvedRules = rulesRaw;
      else if (Array.isArray(rulesRaw)) {
        elements(rulesRaw, literalGet).forEach((r, i) => {
          const at: SourceLocation = { file: w.file, jsonPath: [...here, "properties", "securityRules", i] };
          if (!isRecord(r)) rules.push(unreadableRule(r, `securityRules[${i}]`, at));
          else if (conditionOf(r, scope) !== "no")
            rules.push(readRule(r, { fallbackName: `securityRules[${i}]`, location: at }));
        });
      }
      const unreadableRules =
        props !== undefined && !isRecord(props) && !isUnresolved(props)
          ? { value: JSON.stringify(props), reason: "the NSG's properties must be an object" }
          : ruleListShapeProblem(rulesRaw);
      const named = typeof resolvedName === "string" && (!parent || typeof parent.name === "string");
      w.nsgs.push({
        nsg: {
          id,
          name: fullName,
          type: "Microsoft.Network/networkSecurityGroups",
          rules,
          location,
          unresolvedRules,
          unreadableRules,
        },
        key: named && !fullName.includes("[") ? `/${fullName.toLowerCase()}` : undefined,
        ref,
      });
    } else if (type === RULE) {
      const parts = fullName.split("/");
      const nameKnown = typeof resolvedName === "string" && !(parent && parent.name.includes("["));
      const nsgName = parts.length >= 2 ? parts.slice(0, -1).join("/") : "(NSG not named)";
      const rule = readRule(
        { ...(resolveDeep(raw, scope) as Record<string, unknown>), name: parts[parts.length - 1] },
        { resourceId: id, location },
      );
      // A Deny that may never be deployed hides nothing; an Allow that may be deployed counts.
      if (!(conditional && isDeny(rule))) {
        w.rules.push({
          rule,
          nsgName,
          key: nameKnown && parts.length >= 2 && !nsgName.includes("[") ? `/${nsgName.toLowerCase()}` : undefined,
          ref: parent?.type === NSG ? parent.ref : undefined,
          why: "its name is an expression that cannot be resolved, so its NSG cannot be identified",
        });
      }
    } else if (type === VM) {
      const props = resolveDeep(raw.properties ?? {}, scope);
      const p = isRecord(props) ? props : {};
      const image =
        isRecord(p.storageProfile) && isRecord(p.storageProfile.imageReference) ? p.storageProfile.imageReference : {};
      const osDisk = isRecord(p.storageProfile) && isRecord(p.storageProfile.osDisk) ? p.storageProfile.osDisk : {};
      const windows = isWindowsVm({
        osType: osDisk.osType,
        imagePublisher: image.publisher,
        windowsConfiguration: isRecord(p.osProfile) ? p.osProfile.windowsConfiguration : undefined,
      });
      if (windows) {
        const bd =
          isRecord(p.diagnosticsProfile) && isRecord(p.diagnosticsProfile.bootDiagnostics)
            ? p.diagnosticsProfile.bootDiagnostics.enabled
            : undefined;
        w.vms.push({
          facts: {
            id,
            name: fullName,
            type: "Microsoft.Compute/virtualMachines",
            bootDiagnostics: typeof bd === "boolean" ? bd : false,
            location,
          },
          key: fullName.toLowerCase(),
        });
      }
    } else if (type === EXTENSION && /rdp-guard|rdp-hardening/i.test(ownName)) {
      w.extensions.add(fullName.split("/").slice(0, -1).join("/").toLowerCase());
    } else if (type === DEPLOYMENT) {
      const props = isRecord(raw.properties) ? raw.properties : {};
      if (isRecord(props.template)) {
        const inner =
          isRecord(props.expressionEvaluationOptions) &&
          String(props.expressionEvaluationOptions.scope).toLowerCase() === "inner";
        const values: Record<string, unknown> = {};
        if (inner && isRecord(props.parameters)) {
          for (const [k, v] of Object.entries(props.parameters)) if (isRecord(v) && "value" in v) values[k] = v.value;
        }
        const nestedScope = inner ? new TemplateScope(props.template, values, scope) : scope;
        walk(
          props.template.resources,
          nestedScope,
          [...here, "properties", "template", "resources"],
          undefined,
          w,
          conditional,
        );
      }
    }
    if (raw.resources !== undefined) {
      walk(
        raw.resources,
        scope,
        [...here, "resources"],
        { type, name: fullName, ref, maybe: conditional },
        w,
        conditional,
      );
    }
  }
}

/** ARM templates and compiled Bicep (array or symbolic-name resources, nested deployments). */
export function parseArm(doc: JsonDocument, parameterValues: ArmParameterValues = {}): ParsedInput {
  const template = doc.value as Record<string, unknown>;
  const scope = new TemplateScope(template, parameterValues);
  const w: Walk = { file: doc.file, nsgs: [], rules: [], vms: [], extensions: new Set(), resources: 0 };
  walk(template.resources, scope, ["resources"], undefined, w);
  return {
    format: "arm",
    nsgs: groupNsgs(w.nsgs, w.rules),
    vms: w.vms.map(({ facts, key }) => ({ ...facts, hardened: w.extensions.has(key) })),
    resources: w.resources,
  };
}
