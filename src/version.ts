import { readFileSync } from "node:fs";
import * as path from "node:path";

let cached: string | undefined;

/**
 * The version of azure-rdp-guard, read from its package.json: the one source for `--version`, the
 * script report, SARIF `tool.driver.version` and the policy pack. This file runs from src/ (tests)
 * and dist/src/ (the package), so it walks up to the package.json that names this package.
 */
export function packageVersion(): string {
  if (cached) return cached;
  for (let dir = __dirname, up = path.dirname(dir); ; dir = up, up = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "azure-rdp-guard" && typeof pkg.version === "string") return (cached = pkg.version);
    } catch {
      // no package.json here (or not readable): keep walking up
    }
    if (up === dir) throw new Error(`azure-rdp-guard: no package.json above ${__dirname}`);
  }
}
