import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ROOT } from "../helpers/files";

/**
 * Per-check golden fixtures (KICS / trivy-checks style): `test/checks/<ID>/` holds
 * - `positive*.json`, `negative*.json`: IaC inputs any `rdp-guard scan` format accepts;
 * - `positive*.fleet.json`, `negative*.fleet.json`: a live fleet for `rdp-guard audit` (see FleetSpec);
 * - `expected.json`: every finding of the check in the positive files, with its line (IaC) or VM (fleet);
 * - optionally `config.json`, the `--config` for the folder (exemptions, thresholds).
 * Negative files must produce no finding of the check.
 */
export const CHECKS_DIR = path.join(ROOT, "test/checks");

export interface Expected {
  readonly file: string;
  readonly severity: string;
  /** IaC findings: the 1-based line the finding points at. */
  readonly line?: number;
  /** Fleet findings: the VM the finding names. */
  readonly resource?: string;
}

export interface CheckFixtures {
  readonly id: string;
  readonly dir: string;
  readonly iac: { positive: string[]; negative: string[] };
  readonly fleet: { positive: string[]; negative: string[] };
  readonly expected: Expected[] | undefined;
  readonly config?: string;
}

export function fixturesOf(id: string): CheckFixtures {
  const dir = path.join(CHECKS_DIR, id);
  const files = existsSync(dir) ? readdirSync(dir).sort() : [];
  const pick = (kind: "positive" | "negative", fleet: boolean): string[] =>
    files.filter((f) => f.startsWith(kind) && f.endsWith(".json") && f.endsWith(".fleet.json") === fleet);
  const expectedFile = path.join(dir, "expected.json");
  return {
    id,
    dir,
    iac: { positive: pick("positive", false), negative: pick("negative", false) },
    fleet: { positive: pick("positive", true), negative: pick("negative", true) },
    expected: existsSync(expectedFile) ? (JSON.parse(readFileSync(expectedFile, "utf8")) as Expected[]) : undefined,
    config: files.includes("config.json") ? path.join(dir, "config.json") : undefined,
  };
}

/** A small fleet: one subscription, one subnet (optionally with an NSG), VMs on it (optionally with a NIC NSG). */
export interface FleetSpec {
  readonly subnetRules?: readonly RuleSpec[];
  readonly nicRules?: readonly RuleSpec[];
  readonly vms: readonly ({ name: string; nicNsg?: boolean } & Record<string, unknown>)[];
}
export interface RuleSpec {
  readonly name: string;
  readonly priority: number;
  readonly source: string;
  readonly access?: "Allow" | "Deny";
  readonly port?: string;
}
