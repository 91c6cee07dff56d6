import { describe, expect, it } from "vitest";
import { renderJson } from "../../src/report/json";
import { ScanReport } from "../../src/report/model";
import { rule, scan } from "../helpers/nsg";

function json(findings: ScanReport["findings"]) {
  const tool = { name: "azure-rdp-guard", version: "0.0.0-test" };
  const report: ScanReport = { tool, findings, files: [], skipped: [] };
  return JSON.parse(renderJson(report)) as {
    version: number;
    findings: {
      ruleId: string;
      exposure: Record<string, unknown> | null;
      problems: { field: string; value: string; missing?: boolean }[] | null;
    }[];
  };
}

describe("JSON report v1", () => {
  it("carries public address counts per family beside the total, as decimal strings", () => {
    const sources = ["20.0.0.0/8", "2600::/12"];
    const findings = scan([rule({ sourceAddressPrefix: undefined, sourceAddressPrefixes: sources })]);
    const [f] = json(findings).findings;
    expect(f!.ruleId).toBe("RDPG001");
    expect(f!.exposure).toMatchObject({
      publicIPv4Addresses: String(2n ** 24n),
      publicIPv6Addresses: String(2n ** 116n),
      publicAddresses: String(2n ** 24n + 2n ** 116n),
    });
  });

  it("marks a missing rule field as missing, with an empty value", () => {
    const [f] = json(scan([rule({ protocol: undefined })])).findings;
    expect(f!.ruleId).toBe("RDPG003");
    expect(f!.problems).toEqual([
      { field: "protocol", value: "", reason: "protocol is missing", kind: "unevaluable", missing: true },
    ]);
  });
});
