import { GuardConfig, applyExemptions, engineOptions } from "./config";
import { NsgEvaluation, evaluateNsg } from "./nsg/evaluate";
import { Finding } from "./nsg/findings";
import { NsgInput } from "./nsg/rules";

export interface ScanResult {
  readonly findings: Finding[];
  readonly evaluations: NsgEvaluation[];
  readonly rulesEvaluated: number;
}

/** The one entry point every door uses: evaluate NSGs under a config, then apply exemptions. */
export function scanNsgs(nsgs: readonly NsgInput[], config: GuardConfig, today?: string): ScanResult {
  const opts = engineOptions(config);
  const evaluations = nsgs.map((n) => evaluateNsg(n, opts));
  const raw = evaluations.flatMap((e) => e.findings);
  return {
    findings: applyExemptions(raw, config.exemptions, today),
    evaluations,
    rulesEvaluated: evaluations.reduce((n, e) => n + e.rulesEvaluated, 0),
  };
}
