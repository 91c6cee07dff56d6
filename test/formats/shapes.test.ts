import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config";
import { parseDocument } from "../../src/formats/detect";
import { scanInputs } from "../../src/engine";
import { readJsonFile } from "../../src/formats/json-source";
import { fixture } from "../helpers/files";

/**
 * One fixture per input shape of issue 12, with the verdict it must get: `check:rule` per finding.
 * Every shape here used to exit 0 (or hang) before the fix it names.
 */
const EXPECTED: Record<string, string[]> = {
  // 1. standalone rules of different NSGs whose names are unknown: grouped by the referenced NSG
  "preview-unknown-nsg-names.json": ["RDPG001:open-rdp-b"],
  // ... and with no reference at all, each rule is judged alone, with a note
  "preview-unknown-nsg-no-deps.json": ["RDPG001:open-rdp-b", "RDPG004:deny-rdp-a", "RDPG004:open-rdp-b"],
  "terraform-unknown-nsg-names.json": ["RDPG001:open_b"],
  // 2. the deployed state (outputs) holds a rule the program does not declare
  "stack-export-drift.json": ["RDPG001:portal-rdp"],
  // 3. an ASG written with resourceId(); a source port and description that are parameters
  "arm-asg-resourceid.json": [],
  // 5. Deny sources that do not provably cover the Internet hide nothing
  "arm-deny-azurecloud.json": ["RDPG001:open-rdp"],
  "arm-deny-zero-address.json": ["RDPG001:open-rdp"],
  "arm-deny-v6-any.json": ["RDPG001:open-rdp"],
  "arm-deny-v6-zero.json": ["RDPG001:open-rdp"],
  "arm-deny-zero-slash-zero.json": ["RDPG001:open-rdp"],
  // 6. condition, and rule lists that cannot be read
  "arm-condition-false-deny.json": ["RDPG001:open-rdp"],
  "arm-condition-unresolved-deny.json": ["RDPG001:open-rdp"],
  "arm-condition-false-nsg.json": [],
  "arm-rules-object.json": ["RDPG003:-"],
  "arm-rules-string.json": ["RDPG003:-"],
  "arm-properties-expression.json": ["RDPG003:-"],
  "arm-rule-element-unresolvable.json": ["RDPG003:securityRules[0]", "RDPG003:securityRules[1]"],
  "az-rules-object.json": ["RDPG003:-"],
  // 7. Pulumi's unknown marker and an {unresolved, text} object are literals outside Pulumi inputs
  "az-pulumi-marker.json": ["RDPG001:open-rdp", "RDPG003:deny-marker", "RDPG003:deny-object"],
  // 9. chained variables resolve once each; a cycle is unevaluable; a 2^40-character value is not built
  "arm-chained-variables.json": ["RDPG001:open-rdp", "RDPG001:open-rdp", "RDPG003:cyc"],
  // 8. written by `az ... > x.json` in Windows PowerShell 5.1: UTF-16LE with a BOM
  "az-utf16le-bom.json": ["RDPG001:RDP"],
};

const verdict = async (file: string): Promise<string[]> => {
  const input = parseDocument(await readJsonFile(fixture(`shapes/${file}`), 1 << 24))!;
  return scanInputs([input], DEFAULT_CONFIG)
    .findings.map((f) => `${f.checkId}:${f.rule?.name ?? "-"}`)
    .sort();
};

describe("issue 12 input shapes: each gets its verdict", () => {
  it("every fixture in test/fixtures/shapes has an expected verdict", () => {
    expect(readdirSync(fixture("shapes")).sort()).toEqual(Object.keys(EXPECTED).sort());
  });
  it.each(Object.entries(EXPECTED))("%s", async (file, expected) => {
    expect(await verdict(file)).toEqual([...expected].sort());
  });
});
