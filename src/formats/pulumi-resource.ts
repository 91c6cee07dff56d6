import { NsgInput, RuleInput, SourceLocation, isUnresolved } from "../nsg/rules";
import { Getter, elements, isRecord, plainGet, readRule, ruleListShapeProblem, unreadableRule } from "./fields";
import { isWindowsVm } from "../vm/windows";

/**
 * Pulumi resource shapes (azure-native and classic @pulumi/azure) by type token. Matching type
 * strings instead of importing @pulumi/azure-native keeps the policy pack's start-up fast.
 */
export const PULUMI_TYPES = {
  nativeNsg: /^azure-native:network(\/v[\w]+)?:NetworkSecurityGroup$/,
  nativeRule: /^azure-native:network(\/v[\w]+)?:SecurityRule$/,
  classicNsg: /^azure:network\/networkSecurityGroup:NetworkSecurityGroup$/,
  classicRule: /^azure:network\/networkSecurityRule:NetworkSecurityRule$/,
  nativeVm: /^azure-native:compute(\/v[\w]+)?:VirtualMachine$/,
  classicWindowsVm: /^azure:compute\/windowsVirtualMachine:WindowsVirtualMachine$/,
  classicVm: /^azure:compute\/virtualMachine:VirtualMachine$/,
  nativeExtension: /^azure-native:compute(\/v[\w]+)?:VirtualMachineExtension$/,
  classicExtension: /^azure:compute\/virtualMachineExtension:VirtualMachineExtension$/,
  hardeningComponent: /^azure-rdp-guard:index:RdpHardening$/,
} as const;

export function isNsgType(type: string): boolean {
  return PULUMI_TYPES.nativeNsg.test(type) || PULUMI_TYPES.classicNsg.test(type);
}
export function isRuleType(type: string): boolean {
  return PULUMI_TYPES.nativeRule.test(type) || PULUMI_TYPES.classicRule.test(type);
}

export interface PulumiResource {
  readonly type: string;
  readonly urn: string;
  /** Logical name in the program. */
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly location?: SourceLocation;
  /** URNs each input property's value is taken from (`propertyDependencies` in state and the policy host). */
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
  readonly parent?: string;
}

/** Identity shared by an NSG and its standalone rules: resource group + NSG name, case-insensitive. */
export function groupKey(resourceGroup: unknown, nsgName: unknown): string | undefined {
  if (typeof nsgName !== "string" || nsgName === "") return undefined;
  // An unknown resource group could be any: the name alone does not identify the NSG.
  if (isUnresolved(resourceGroup)) return undefined;
  const rg = typeof resourceGroup === "string" ? resourceGroup : "";
  return `${rg.toLowerCase()}/${nsgName.toLowerCase()}`;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** The NSG's Azure name when known: explicit name input, else the provider's output `name`. */
function knownNsgName(r: PulumiResource, get: Getter): string | undefined {
  return str(get(r.props, "networkSecurityGroupName")) ?? str(get(r.props, "name"));
}

/** The NSG's Azure name: explicit name input, the provider's output `name`, else the logical name. */
export function nsgAzureName(r: PulumiResource, get: Getter = plainGet): string {
  return knownNsgName(r, get) ?? r.name;
}

export function nsgFromPulumi(r: PulumiResource, get: Getter = plainGet): NsgEntry {
  const rulesRaw = get(r.props, "securityRules");
  const name = nsgAzureName(r, get);
  const rules: RuleInput[] = [];
  let unresolvedRules;
  if (isUnresolved(rulesRaw)) unresolvedRules = rulesRaw;
  else if (Array.isArray(rulesRaw)) {
    elements(rulesRaw, get).forEach((item, i) => {
      if (isRecord(item))
        rules.push(readRule(item, { get, fallbackName: `securityRules[${i}]`, location: r.location }));
      else rules.push(unreadableRule(item, `securityRules[${i}]`, r.location));
    });
  }
  const nsg: NsgInput = {
    id: r.urn,
    name,
    type: r.type,
    rules,
    location: r.location,
    unresolvedRules,
    unreadableRules: ruleListShapeProblem(rulesRaw),
  };
  return { nsg, key: groupKey(get(r.props, "resourceGroupName"), knownNsgName(r, get)), ref: r.urn };
}

const URN_TYPE = (urn: string): string => urn.split("::")[2]?.split("$").pop() ?? "";

/**
 * The NSG a standalone rule belongs to when its name is unknown: the one NSG its
 * `networkSecurityGroupName` is taken from (Pulumi records that as a property dependency), else an
 * NSG parent. Undefined when no single NSG can be named.
 */
function referencedNsg(r: PulumiResource): string | undefined {
  const deps = (r.propertyDependencies?.networkSecurityGroupName ?? []).filter((u) => isNsgType(URN_TYPE(u)));
  if (new Set(deps).size === 1) return deps[0];
  if (deps.length === 0 && r.parent && isNsgType(URN_TYPE(r.parent))) return r.parent;
  return undefined;
}

export function ruleFromPulumi(r: PulumiResource, get: Getter = plainGet): RuleEntry {
  const rule = readRule(r.props, { get, fallbackName: r.name, resourceId: r.urn, location: r.location });
  const named = str(get(r.props, "securityRuleName")) ?? str(get(r.props, "name"));
  const nsgRaw = get(r.props, "networkSecurityGroupName");
  const nsgName = str(nsgRaw) ?? (isUnresolved(nsgRaw) ? "(unknown NSG)" : "(NSG not named)");
  const key = groupKey(get(r.props, "resourceGroupName"), str(nsgRaw));
  return {
    rule: { ...rule, name: named ?? r.name },
    nsgName,
    key,
    ref: key ? undefined : referencedNsg(r),
    why: "its networkSecurityGroupName is not known and no single NSG of the stack is its source",
  };
}

/** An NSG and the identities standalone rules may refer to it by. */
export interface NsgEntry {
  readonly nsg: NsgInput;
  /** Resource group + name, when both are known. */
  readonly key?: string;
  /** The NSG's own resource identity: Pulumi URN, Terraform address, template path. */
  readonly ref?: string;
}

/** A standalone rule and what is known of its NSG. */
export interface RuleEntry {
  readonly rule: RuleInput;
  readonly nsgName: string;
  readonly key?: string;
  /** The `ref` of the NSG the rule's NSG name comes from, when its name is unknown. */
  readonly ref?: string;
  /** Why the NSG cannot be identified, for the note when neither key nor ref is known. */
  readonly why?: string;
}

/**
 * Groups NSGs and standalone rules of one stack or file: a standalone rule joins the NSG with the
 * same resource group and name, or the NSG its unknown name is taken from (URN, Terraform address,
 * parent). Rules never merge on a guess: a rule whose NSG cannot be identified is judged alone,
 * with a note, and a rule whose NSG is not in the input is judged with Azure's defaults. Both can
 * only over-report.
 */
export function groupNsgs(nsgs: readonly NsgEntry[], rules: readonly RuleEntry[]): NsgInput[] {
  // Several entries may share an identity: the declared and deployed states of one NSG.
  const byKey = new Map<string, { nsg: NsgInput; extra: RuleInput[] }[]>();
  const out: { nsg: NsgInput; extra: RuleInput[] }[] = [];
  const index = (id: string, entry: { nsg: NsgInput; extra: RuleInput[] }): void => {
    const list = byKey.get(id);
    if (list) list.push(entry);
    else byKey.set(id, [entry]);
  };
  for (const n of nsgs) {
    const entry = { nsg: n.nsg, extra: [] as RuleInput[] };
    out.push(entry);
    if (n.key) index(`name:${n.key}`, entry);
    if (n.ref && n.ref !== n.key) index(`ref:${n.ref}`, entry);
  }
  const orphans = new Map<string, { nsg: NsgInput; extra: RuleInput[] }>();
  for (const r of rules) {
    const id = r.key ? `name:${r.key}` : r.ref ? `ref:${r.ref}` : undefined;
    const owners = id ? byKey.get(id) : undefined;
    if (owners) {
      for (const owner of owners) owner.extra.push(r.rule);
      continue;
    }
    let orphan = id ? orphans.get(id) : undefined;
    if (!orphan) {
      const nsg: NsgInput = {
        id: r.rule.resourceId ?? r.nsgName,
        name: r.nsgName,
        type: "standalone security rules",
        rules: [],
        location: r.rule.location,
        ungrouped: id ? undefined : (r.why ?? "its NSG cannot be identified"),
      };
      orphan = { nsg, extra: [] };
      if (id) orphans.set(id, orphan);
      out.push(orphan);
    }
    orphan.extra.push(r.rule);
  }
  return out.map(({ nsg, extra }) => {
    if (extra.length === 0) return nsg;
    // Azure reports standalone rules inside the NSG too; the standalone resource is the source of truth.
    const standalone = new Set(extra.map((r) => r.name.toLowerCase()));
    return { ...nsg, rules: [...nsg.rules.filter((r) => !standalone.has(r.name.toLowerCase())), ...extra] };
  });
}

export interface WindowsVmInfo {
  readonly name: string;
  readonly urn: string;
  readonly type: string;
  /** undefined when unknown (computed during preview). */
  readonly bootDiagnostics: boolean | undefined;
  readonly resourceGroup?: string;
}

function path(obj: unknown, keys: readonly string[], get: Getter): unknown {
  let cur: unknown = obj;
  for (const k of keys) {
    if (!isRecord(cur)) return undefined;
    cur = get(cur, k);
    if (isUnresolved(cur)) return cur;
  }
  return cur;
}

/** Returns VM facts when `r` is a Windows VM in any supported shape; undefined otherwise. */
export function windowsVmFromPulumi(r: PulumiResource, get: Getter = plainGet): WindowsVmInfo | undefined {
  const t = r.type;
  let windows = false;
  let boot: unknown;
  if (PULUMI_TYPES.classicWindowsVm.test(t)) {
    windows = true;
    const bd = get(r.props, "bootDiagnostics");
    boot = isUnresolved(bd) ? bd : isRecord(bd);
  } else if (PULUMI_TYPES.nativeVm.test(t) || PULUMI_TYPES.classicVm.test(t)) {
    const osType = path(r.props, ["storageProfile", "osDisk", "osType"], get);
    const publisher = path(r.props, ["storageProfile", "imageReference", "publisher"], get);
    const winConfig =
      path(r.props, ["osProfile", "windowsConfiguration"], get) ?? get(r.props, "osProfileWindowsConfig");
    windows = isWindowsVm({
      osType,
      imagePublisher: publisher,
      windowsConfiguration: isRecord(winConfig) ? winConfig : undefined,
    });
    boot = PULUMI_TYPES.nativeVm.test(t)
      ? path(r.props, ["diagnosticsProfile", "bootDiagnostics", "enabled"], get)
      : path(r.props, ["bootDiagnostics", "enabled"], get);
  }
  if (!windows) return undefined;
  const name = str(get(r.props, "vmName")) ?? str(get(r.props, "name")) ?? r.name;
  return {
    name,
    urn: r.urn,
    type: t,
    bootDiagnostics: isUnresolved(boot) ? undefined : boot === true,
    resourceGroup: str(get(r.props, "resourceGroupName")),
  };
}

/** VM names (lower case) that have RDP hardening in the stack: the component, or its extension. */
export function hardenedVmNames(resources: readonly PulumiResource[], get: Getter = plainGet): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    const vm = str(get(r.props, "vmName"));
    if (!vm) continue;
    if (PULUMI_TYPES.hardeningComponent.test(r.type)) out.add(vm.toLowerCase());
    if (PULUMI_TYPES.nativeExtension.test(r.type) || PULUMI_TYPES.classicExtension.test(r.type)) {
      const extName = str(get(r.props, "vmExtensionName")) ?? str(get(r.props, "name")) ?? r.name;
      if (/rdp-guard|rdp-hardening/i.test(extName)) out.add(vm.toLowerCase());
    }
  }
  return out;
}
