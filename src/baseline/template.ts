import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

/*
 * The PowerShell lives in .ps1 files under src/baseline/scripts/ (editors highlight them, PowerShell's
 * parser checks them). The package ships src/ as it is, so from the compiled dist/src/baseline/ the
 * file is found in the package's src/baseline/scripts/ as well.
 */
const CANDIDATES = [path.join(__dirname, "scripts"), path.resolve(__dirname, "../../../src/baseline/scripts")];

export function readTemplate(name: string): string {
  for (const dir of CANDIDATES) {
    const file = path.join(dir, name);
    if (existsSync(file)) return readFileSync(file, "utf8").replace(/\r\n/g, "\n");
  }
  const where = CANDIDATES.join(" or ");
  throw new Error(`PowerShell template ${name} not found in ${where} (is src/baseline/scripts/ packaged?)`);
}

const REGION = /^#region settings\b[^\n]*\n[\s\S]*?^#endregion\n/m;

/** Replaces the template's `#region settings ... #endregion` block with the rendered assignments. */
export function fillSettings(template: string, name: string, settings: string): string {
  if (!REGION.test(template)) throw new Error(`PowerShell template ${name} has no '#region settings' block`);
  return template.replace(REGION, () => `${settings}\n`);
}

/**
 * The script ships inside an 8,191-character command line: drop comment lines (but the first) and
 * indentation, leaving here-strings untouched.
 */
export function compactScript(script: string): string {
  const [header, ...rest] = script.split("\n");
  const out: string[] = [header!];
  let inHereString = false;
  for (const line of rest) {
    if (inHereString) {
      out.push(line);
      if (/^'@/.test(line)) inHereString = false;
      continue;
    }
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    out.push(t);
    if (/@'$/.test(t)) inHereString = true;
  }
  return out.join("\n") + "\n";
}
