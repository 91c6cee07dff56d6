import * as all from "./all";
import { CheckDefinition } from "./check";

export type { CheckDefinition, CheckUnit, Severity, VmSubject } from "./check";
export type { VmExposureEvent } from "./exposure";
export type { NsgFacts, RuleExposureEvent, RuleProblemEvent, RuleRef } from "./nsg-rule";
export * from "./all";

/** Every check, in id order: the SARIF rule list, the README table and the registry test read this. */
export const ALL_CHECKS: readonly CheckDefinition[] = Object.values(all).sort((a, b) => a.id.localeCompare(b.id));
