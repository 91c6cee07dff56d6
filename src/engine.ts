import { GuardConfig, applyExemptions, engineOptions } from "./config";
import { ParsedInput } from "./formats/types";
import { NsgEvaluation, evaluateNsg } from "./nsg/evaluate";
import { Finding } from "./nsg/findings";
import { NsgInput } from "./nsg/rules";
import { vmFindings } from "./vm/hints";

export interface ScanResult {
  readonly findings: Finding[];
  readonly evaluations: NsgEvaluation[];
  readonly rulesEvaluated: number;
}

/**
 * The one scan entry point every door uses (CLI, policy pack, library): evaluate the NSGs and VMs
 * of normalized inputs under one config, then apply exemptions. Policies that hold NSGs rather than
 * whole inputs pass `{ nsgs }`.
 */
export function scan(
  inputs: readonly Pick<ParsedInput, "nsgs" | "vms">[],
  config: GuardConfig,
  today?: string,
): ScanResult {
  const opts = engineOptions(config);
  const evaluations: NsgEvaluation[] = [];
  const findings: Finding[] = [];
  let rulesEvaluated = 0;
  for (const input of inputs) {
    const deployed = new Map<string, NsgEvaluation>();
    for (const nsg of input.nsgs) {
      const e = evaluateNsg(nsg, opts);
      if (nsg.view === "deployed") deployed.set(nsg.id, e);
      evaluations.push(e);
      rulesEvaluated += e.rulesEvaluated;
      findings.push(...(nsg.view === "declared" ? onlyInDeclared(e, deployed.get(nsg.id)) : e.findings));
    }
    for (const vm of input.vms) findings.push(...vmFindings(vm));
  }
  return { findings: applyExemptions(findings, config.exemptions, today), evaluations, rulesEvaluated };
}

/** Drift: a finding the declared state shares with the deployed one is reported once, as deployed. */
function onlyInDeclared(declared: NsgEvaluation, deployed: NsgEvaluation | undefined): Finding[] {
  if (!deployed) return declared.findings;
  const key = (f: Finding): string =>
    `${f.checkId}|${f.rule?.name ?? ""}|${f.exposure?.protocol ?? ""}|${f.exposure?.ports.join(",") ?? ""}`;
  const seen = new Set(deployed.findings.map(key));
  return declared.findings.filter((f) => !seen.has(key(f)));
}

/** `scan` over NSGs alone (the policy pack, fleet plans). */
export function scanNsgs(nsgs: readonly NsgInput[], config: GuardConfig, today?: string): ScanResult {
  return scan([{ nsgs: [...nsgs], vms: [] }], config, today);
}

/** `scan` over whole inputs (the CLI). */
export function scanInputs(inputs: readonly ParsedInput[], config: GuardConfig, today?: string): ScanResult {
  return scan(inputs, config, today);
}
