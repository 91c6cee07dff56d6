import type { ResourceRef } from "../nsg/findings";

export type Severity = "error" | "warning" | "note";

/**
 * What every check declares (eslint's `meta`, KICS's `metadata.json`). A check is one file
 * `src/checks/<id>-<name>.ts` exporting the camelCase of `name` (one line in `all.ts` registers
 * it): the definition plus the functions that build its findings. SARIF rule descriptors, the
 * README table (`npm run docs:checks`) and the policy pack's descriptions are rendered from it;
 * `test/checks/registry.test.ts` says what a new check is missing.
 */
export interface CheckDefinition {
  /** Stable id, never reused: findings, exemptions and SARIF results refer to it. */
  readonly id: string;
  /** Kebab-case name: the file slug, the Pulumi policy name where a policy carries it, SARIF `name`. */
  readonly name: string;
  readonly title: string;
  /** Default severity; a check whose severity depends on config says so in `severityNote`. */
  readonly severity: Severity;
  readonly severityNote?: string;
  /** One line: why the check exists. */
  readonly rationale: string;
  /** What to do about a finding. */
  readonly help: string;
  /**
   * GitHub code scanning ranks security alerts by this CVSS-like score (0.0-10.0, one decimal):
   * 9.0+ critical, 7.0+ high, 4.0+ medium, below low.
   */
  readonly securitySeverity: string;
}

/** A check's file exports this: the definition plus the functions that build its findings. */
export type CheckUnit = CheckDefinition & { readonly [builder: string]: unknown };

/** A Windows VM as the VM checks name it, from any door (IaC input, live fleet, policy pack). */
export interface VmSubject {
  readonly id: string;
  readonly name: string;
  readonly type?: string;
}

export const VM_TYPE = "Microsoft.Compute/virtualMachines";

export function vmRef(vm: VmSubject): ResourceRef {
  return { id: vm.id, name: vm.name, type: vm.type ?? VM_TYPE };
}
