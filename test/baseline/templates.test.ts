import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { TEMPLATES } from "../../src/baseline/scripts/templates.generated";
import { compactScript, fillSettings } from "../../src/baseline/template";

const DIR = path.resolve(__dirname, "../../src/baseline/scripts");

describe("PowerShell templates", () => {
  it(
    "templates.generated.ts holds exactly the .ps1 files (run `node scripts/sync-templates.js` after " + "editing one)",
    () => {
      const files = readdirSync(DIR)
        .filter((f) => f.endsWith(".ps1"))
        .sort();
      expect(Object.keys(TEMPLATES).sort()).toEqual(files);
      for (const f of files)
        expect(TEMPLATES[f], f).toBe(readFileSync(path.join(DIR, f), "utf8").replace(/\r\n/g, "\n"));
    },
  );

  it("fills the settings region and refuses a template without one", () => {
    const t = "# head\n#region settings (x)\n$A = 1\n#endregion\nWrite-Output $A\n";
    expect(fillSettings(t, "t.ps1", "$A = 2")).toBe("# head\n$A = 2\nWrite-Output $A\n");
    expect(() => fillSettings("Write-Output 1\n", "t.ps1", "$A = 2")).toThrow(/t\.ps1 has no '#region settings'/);
  });

  it("compacts comments and indentation but never a here-string's lines", () => {
    const s = "# header\n  # comment\n  $x = @'\n  keep  \n# kept\n'@\n\n  Write-Output $x\n";
    expect(compactScript(s)).toBe("# header\n$x = @'\n  keep  \n# kept\n'@\nWrite-Output $x\n");
  });
});
