/**
 * What `rdp-guard remediate` hands the remediation runner (components/fleet/runner.ts), which runs
 * in its own process so that the CLI never loads Pulumi. Passed as one JSON argument.
 */
export interface RunnerRequest {
  /** Absolute path of the plan; the runner checks it again (kind, version, age). Absent when only removing. */
  readonly planFile?: string;
  /** VM or NSG ids whose fixes leave the cumulative desired state on purpose (`remediate --remove`). */
  readonly remove?: readonly string[];
  readonly maxAgeHours: number;
  readonly stackName: string;
  /** Preview only. */
  readonly dryRun: boolean;
  readonly extensionName?: string;
}
