import { readFileSync } from "node:fs";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { ALL_CHECKS, vmUnreachable, windowsVmBootDiagnostics } from "../../src/checks";
import { ScanReport } from "../../src/report/model";
import { toSarif } from "../../src/report/sarif";

const VM_ID =
  "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg-app" +
  "/providers/Microsoft.Compute/virtualMachines/vm-down";

function report(findings: ScanReport["findings"]): ScanReport {
  return { tool: { name: "azure-rdp-guard", version: "0.0.0-test" }, findings, files: [], skipped: [] };
}

function validator() {
  const schema = JSON.parse(
    readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
  );
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

describe("SARIF reporter", () => {
  it("gives a fleet finding (no file) a logical location with its Azure resource id, not a made-up file", () => {
    const log = toSarif(report([vmUnreachable.finding({ id: VM_ID, name: "vm-down" }, "VM is deallocated")]), "/tmp");
    const validate = validator();
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const [loc] = log.runs[0]!.results![0]!.locations!;
    expect(loc!.physicalLocation).toBeUndefined();
    expect(loc!.logicalLocations).toEqual([{ name: "vm-down", fullyQualifiedName: VM_ID, kind: "resource" }]);
    expect(JSON.stringify(log.runs[0]!.results)).not.toMatch(/artifactLocation|"unknown"/);
  });

  it("keeps the file and line of an IaC finding, with the resource as a logical location too", () => {
    const f = windowsVmBootDiagnostics.finding(
      { id: "vm1", name: "vm1" },
      { file: "/tmp/iac/main.json", line: 7, column: 5 },
    );
    const [loc] = toSarif(report([f]), "/tmp").runs[0]!.results![0]!.locations!;
    expect(loc!.physicalLocation).toEqual({
      artifactLocation: { uri: "iac/main.json", uriBaseId: "%SRCROOT%" },
      region: { startLine: 7, startColumn: 5 },
    });
    expect(loc!.logicalLocations![0]!.fullyQualifiedName).toBe("vm1");
  });

  it("takes each rule's level, texts and security-severity from its check", () => {
    const rules = toSarif(report([])).runs[0]!.tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual(ALL_CHECKS.map((c) => c.id));
    for (const [i, c] of ALL_CHECKS.entries()) {
      expect(rules[i]).toMatchObject({
        name: c.name,
        shortDescription: { text: c.title },
        fullDescription: { text: c.rationale },
        defaultConfiguration: { level: c.severity },
        properties: { "security-severity": c.securitySeverity },
      });
    }
  });
});
