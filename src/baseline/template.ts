import { TEMPLATES } from "./scripts/templates.generated";

/*
 * The PowerShell lives in .ps1 files under src/baseline/scripts/ (editors highlight them, PowerShell's
 * parser checks them). scripts/sync-templates.js copies them into templates.generated.ts, so they ship
 * inside the compiled package whatever its file list; a test keeps the two in sync.
 */
export function readTemplate(name: string): string {
  const text = TEMPLATES[name];
  if (text === undefined) {
    throw new Error(`PowerShell template ${name} is not in src/baseline/scripts/templates.generated.ts`);
  }
  return text;
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
