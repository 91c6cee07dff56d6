import { Finding, SEVERITY_RANK } from "../nsg/findings";

/** What a command may touch: its output streams and environment (tests pass their own). */
export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTty: boolean;
  stdin?: NodeJS.ReadableStream;
}

export interface CommandContext {
  readonly io: CliIo;
  readonly env: NodeJS.ProcessEnv;
}

export type FailOn = "error" | "warning" | "never";
export type OutputFormat = "text" | "json" | "sarif";

/** The gate: 1 when an unsuppressed finding is at or above `failOn`, else 0. */
export function exitCode(findings: readonly Finding[], failOn: FailOn): number {
  if (failOn === "never") return 0;
  const threshold = SEVERITY_RANK[failOn];
  return findings.some((f) => !f.suppressed && SEVERITY_RANK[f.severity] >= threshold) ? 1 : 0;
}
