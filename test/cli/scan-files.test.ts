import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { JsonReportV1 } from "../../src/report/json";
import { example, fixture } from "../helpers/files";
import { runCli } from "../harness/cli";

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), "rdp-guard-files-"));
});

const AZ = example("az-nsg-list.json");

describe("issue 12.8: files", () => {
  it("follows symlinked files and folders, survives a link loop, and lists a dangling link as skipped", async () => {
    const outside = path.join(tmp, "outside");
    const scanned = path.join(tmp, "scanned");
    mkdirSync(outside);
    mkdirSync(scanned);
    copyFileSync(AZ, path.join(outside, "az.json"));
    copyFileSync(fixture("shapes/arm-deny-azurecloud.json"), path.join(outside, "arm.json"));
    symlinkSync(path.join(outside, "az.json"), path.join(scanned, "linked.json"));
    symlinkSync(outside, path.join(scanned, "linked-dir"));
    symlinkSync(scanned, path.join(scanned, "loop"));
    symlinkSync(path.join(tmp, "gone.json"), path.join(scanned, "dangling.json"));
    const r = await runCli(["scan", scanned, "--format", "json", "--fail-on", "never"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as JsonReportV1;
    // az.json is reached twice (file link and folder link) and read once; arm.json through the folder link.
    expect(report.summary.files).toBe(2);
    expect(r.stderr).toMatch(/dangling\.json: skipped, symbolic link to .*gone\.json cannot be followed/);
  });

  it(
    "refuses --output over an input reached through a symlink, " +
      "inside a scanned folder, or as --config/--parameters",
    async () => {
      const input = path.join(tmp, "in.json");
      copyFileSync(AZ, input);
      const original = readFileSync(input, "utf8");
      symlinkSync(input, path.join(tmp, "link.json"));
      const config = path.join(tmp, "config.json");
      writeFileSync(config, "{}");
      const params = path.join(tmp, "params.json");
      writeFileSync(params, JSON.stringify({ parameters: {} }));
      const cases: string[][] = [
        ["scan", path.join(tmp, "link.json"), "--output", input],
        ["scan", input, "--output", path.join(tmp, "link.json")],
        ["scan", tmp, "--output", input],
        ["scan", AZ, "--config", config, "--output", config],
        ["scan", AZ, "--parameters", params, "--output", params],
      ];
      for (const args of cases) {
        const r = await runCli(args);
        expect(r.code, args.join(" ")).toBe(2);
        expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
        expect(r.stderr).toMatch(/refusing to write the report over one of the input files/);
      }
      expect(readFileSync(input, "utf8")).toBe(original);
      expect(readFileSync(config, "utf8")).toBe("{}");
    },
  );

  it("reads a UTF-16LE file with a BOM (az ... > x.json in Windows PowerShell 5.1)", async () => {
    const r = await runCli(["scan", fixture("shapes/az-utf16le-bom.json")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/RDPG001.*'RDP'/);
  });

  it("100k-deep nesting: exit 2, one line naming the file and why", async () => {
    const deep = `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`;
    writeFileSync(
      path.join(tmp, "deep-arm.json"),
      `{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","contentVersion":"1.0.0.0","resources":[{"type":"Microsoft.Network/networkSecurityGroups","name":"n","properties":{"securityRules":[],"x":${deep}}}]}`,
    );
    for (const f of [path.join(tmp, "deep-arm.json")]) {
      const r = await runCli(["scan", f]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain(f);
      expect(r.stderr).toMatch(/nested 100,00\d levels deep/);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    }
  });
});
