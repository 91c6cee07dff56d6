import { GuardConfig, applyExemptions, engineOptions } from "./config";
import { evaluateNsg } from "./nsg/evaluate";
import { Finding } from "./nsg/findings";
import { ParsedInput } from "./formats/types";
import { vmFindings } from "./vm/hints";

export interface InputScan {
  readonly findings: Finding[];
  readonly rulesEvaluated: number;
}

/** Evaluates every NSG and VM of normalized inputs under one config, then applies exemptions. */
export function scanInputs(inputs: readonly ParsedInput[], config: GuardConfig, today?: string): InputScan {
  const opts = engineOptions(config);
  const findings: Finding[] = [];
  let rulesEvaluated = 0;
  for (const input of inputs) {
    for (const nsg of input.nsgs) {
      const e = evaluateNsg(nsg, opts);
      rulesEvaluated += e.rulesEvaluated;
      findings.push(...e.findings);
    }
    for (const vm of input.vms) findings.push(...vmFindings(vm));
  }
  return { findings: applyExemptions(findings, config.exemptions, today), rulesEvaluated };
}
