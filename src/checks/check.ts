export type Severity = "error" | "warning" | "note";

/**
 * A check's stable description (cdk-nag style): one per file, referenced by findings, rendered by
 * every reporter (SARIF rule descriptors, README tables, policy descriptions).
 */
export interface CheckDefinition {
  /** Stable id, never reused: findings, exemptions and SARIF results refer to it. */
  readonly id: string;
  /** Kebab-case name, also the Pulumi policy name where one policy carries it. */
  readonly name: string;
  readonly title: string;
  readonly severity: Severity;
  /** One line: why the check exists. */
  readonly rationale: string;
  /** What to do about a finding. */
  readonly help: string;
}
