import { mkdtempSync, readFileSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { beforeAll, describe, expect, it } from "vitest";
import { ALL_CHECKS } from "../../src/checks";
import { JsonReportV1 } from "../../src/report/json";
import { example, fixture, linesOf } from "../helpers/files";
import { runCli } from "../harness/cli";

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), "rdp-guard-cli-"));
});

describe("rdp-guard scan: reports and exit codes", () => {
  it("scans the example fleet: exit 1, stable JSON contract with files and lines", async () => {
    const r = await runCli(["scan", "examples/fleet", "--format", "json"]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as JsonReportV1;
    expect(report.version).toBe(1);
    expect(report.summary.error).toBe(5);
    expect(report.summary.files).toBe(7);
    const az = report.findings.find((f) => f.file === "examples/fleet/az-nsg-list.json")!;
    expect(az).toMatchObject({ ruleId: "RDPG001", severity: "error", rule: { name: "RDP", priority: 1000 } });
    expect(linesOf(example("az-nsg-list.json"), az.line!, 25)).toContain('"name": "RDP"');
  });

  it("exits 0 on a clean template and says OK", async () => {
    const r = await runCli(["scan", "examples/fleet/hub-spoke.json", "examples/fleet/shadowed-legacy.json"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK 2 file\(s\)/m);
  });

  it("--fail-on decides the exit code", async () => {
    const udp = fixture("arm-with-comments.json");
    expect((await runCli(["scan", udp])).code).toBe(0);
    expect((await runCli(["scan", udp, "--fail-on", "warning"])).code).toBe(1);
    expect((await runCli(["scan", "examples/fleet", "--fail-on", "never"])).code).toBe(0);
  });

  it("SARIF output validates against the official SARIF 2.1.0 schema and carries file + line", async () => {
    const r = await runCli(["scan", "examples/fleet", "--format", "sarif"]);
    expect(r.code).toBe(1);
    const sarif = JSON.parse(r.stdout);
    const schema = JSON.parse(
      readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
    );
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv); // uri, date-time, ... are checked too, not ignored
    const validate = ajv.compile(schema);
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((x: { id: string }) => x.id)).toEqual(ALL_CHECKS.map((c) => c.id));
    type SarifResult = {
      ruleId: string;
      locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
    };
    const jump = (run.results as SarifResult[]).find(
      (x) =>
        x.locations[0]?.physicalLocation.artifactLocation.uri === "examples/fleet/legacy-jumpbox.json" &&
        x.ruleId === "RDPG001",
    )!;
    expect(jump.ruleId).toBe("RDPG001");
    expect(linesOf(example("legacy-jumpbox.json"), jump.locations[0]!.physicalLocation.region.startLine, 3)).toContain(
      '"name": "RDP"',
    );
  });

  it("SARIF marks exempted findings as suppressed", async () => {
    const cfg = path.join(tmp, "exempt.json");
    writeFileSync(
      cfg,
      JSON.stringify({
        exemptions: [{ resource: "jumpbox01-nsg", reason: "decommissioned 2027", expires: "2999-01-01" }],
      }),
    );
    const r = await runCli(["scan", "examples/fleet/legacy-jumpbox.json", "--format", "sarif", "--config", cfg]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout).runs[0].results.find((x: { ruleId: string }) => x.ruleId === "RDPG001");
    expect(res.suppressions[0].justification).toContain("decommissioned 2027");
  });

  it("options: --rdp-ports, --trusted-prefix, --max-public-addresses, --config, --parameters", async () => {
    const moved = path.join(tmp, "moved.json");
    const list = JSON.parse(readFileSync(example("az-nsg-list.json"), "utf8"));
    list[0].securityRules[0].destinationPortRange = "3390";
    writeFileSync(moved, JSON.stringify(list));
    expect((await runCli(["scan", moved])).code).toBe(0);
    expect((await runCli(["scan", moved, "--rdp-ports", "3389,3390"])).code).toBe(1);
    const cfg = path.join(tmp, "ports.json");
    writeFileSync(cfg, JSON.stringify({ rdpPorts: [3390] }));
    expect((await runCli(["scan", moved, "--config", cfg])).code).toBe(1);

    const stack = example("pulumi-stack.json");
    expect((await runCli(["scan", stack])).code).toBe(1);
    expect((await runCli(["scan", stack, "--trusted-prefix", "20.0.0.0/8"])).code).toBe(0);
    expect((await runCli(["scan", stack, "--max-public-addresses", "16777216"])).code).toBe(0);

    const arm = fixture("arm-expressions.json");
    const without = JSON.parse((await runCli(["scan", arm, "--format", "json"])).stdout) as JsonReportV1;
    const withParams = JSON.parse(
      (await runCli(["scan", arm, "--format", "json", "--parameters", fixture("arm-expressions.parameters.json")]))
        .stdout,
    ) as JsonReportV1;
    expect(without.findings.some((f) => f.rule?.name === "rdp-from-param")).toBe(true);
    expect(withParams.findings.some((f) => f.rule?.name === "rdp-from-param")).toBe(false);
  });

  it("--config also takes the policy pack's config file (one file for both)", async () => {
    const cfg = path.join(tmp, "pack-config.json");
    writeFileSync(
      cfg,
      JSON.stringify({
        "nsg-no-internet-rdp": { enforcementLevel: "mandatory", trustedSourcePrefixes: ["20.0.0.0/8"] },
        "windows-vm-boot-diagnostics": { enforcementLevel: "disabled" },
      }),
    );
    expect((await runCli(["scan", example("pulumi-stack.json"), "--config", cfg])).code).toBe(0);
    writeFileSync(cfg, JSON.stringify({ "nsg-no-internet-rdp": { rdpPorts: "3389" } }));
    const bad = await runCli(["scan", example("pulumi-stack.json"), "--config", cfg]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/pack-config\.json.*rdpPorts: must be array/);
  });

  it("reads standard input with '-'", async () => {
    const r = await runCli(["scan", "-", "--format", "json"], {
      stdin: readFileSync(example("az-nsg-list.json"), "utf8"),
    });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as JsonReportV1).findings[0]!.file).toBe("<stdin>");
  });

  it("--output writes the report and refuses to overwrite an input", async () => {
    const out = path.join(tmp, "report.sarif");
    const r = await runCli(["scan", "examples/fleet", "--format", "sarif", "--output", out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(JSON.parse(readFileSync(out, "utf8")).version).toBe("2.1.0");
    const input = path.join(tmp, "input.json");
    writeFileSync(input, readFileSync(example("az-nsg-list.json")));
    const bad = await runCli(["scan", input, "--output", input]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/refusing to write the report over one of the input files/);
    expect(readFileSync(input, "utf8")).toBe(readFileSync(example("az-nsg-list.json"), "utf8"));
  });

  it("--help and --version exit 0", async () => {
    const help = await runCli(["scan", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--fail-on");
    const v = await runCli(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
  });
});

describe("rdp-guard scan: bad input exits 2 with one clear line", () => {
  const expectUsageError = (r: { code: number | null; stderr: string; stdout: string }, pattern: RegExp) => {
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  };

  it("missing file", async () => {
    expectUsageError(await runCli(["scan", "nope.json"]), /nope\.json: no such file or directory/);
  });
  it("invalid JSON names line and column", async () => {
    const f = path.join(tmp, "broken.json");
    writeFileSync(f, '{\n  "resources": [\n    { "type": }\n  ]\n}\n');
    expectUsageError(await runCli(["scan", f]), /broken\.json:3:15: invalid JSON/);
  });
  it("binary file", async () => {
    const f = path.join(tmp, "blob.json");
    writeFileSync(f, Buffer.from([0x7b, 0x00, 0x01, 0xff, 0x7d]));
    expectUsageError(await runCli(["scan", f]), /blob\.json: binary file/);
  });
  it("empty file", async () => {
    const f = path.join(tmp, "empty.json");
    writeFileSync(f, "");
    expectUsageError(await runCli(["scan", f]), /empty\.json: file is empty/);
  });
  it("unknown flag", async () => {
    expectUsageError(await runCli(["scan", "examples/fleet", "--colour"]), /unknown option '--colour'/);
  });
  it("bad option values and config", async () => {
    expectUsageError(
      await runCli(["scan", "examples/fleet", "--rdp-ports", "3389,abc"]),
      /--rdp-ports: 'abc' is not a port/,
    );
    const cfg = path.join(tmp, "bad-config.json");
    writeFileSync(cfg, JSON.stringify({ maxPublicSourceAddresses: -1, trustedSourcePrefixes: ["Internet"] }));
    expectUsageError(
      await runCli(["scan", "examples/fleet", "--config", cfg]),
      /bad-config\.json.*maxPublicSourceAddresses: must be >= 0/,
    );
  });
  it("a forced format with no recognizable resources", async () => {
    expectUsageError(
      await runCli(["scan", "examples/fleet/hub-spoke.json", "--input-format", "az"]),
      /hub-spoke\.json: no recognizable az resources/,
    );
  });
  it("JSON of no known shape", async () => {
    expectUsageError(await runCli(["scan", "package.json"]), /no recognizable IaC input/);
  });
  it("a 50 MB truncated file fails fast with the file named", async () => {
    const f = path.join(tmp, "huge.json");
    const fd = openSync(f, "w");
    writeSync(fd, '{"format_version":"1.2","planned_values":{"root_module":{"resources":[');
    const chunk =
      JSON.stringify({
        address: "azurerm_network_security_rule.r",
        type: "azurerm_network_security_rule",
        values: { name: "x".repeat(400) },
      }) + ",";
    for (let written = 0; written < 50 * 1024 * 1024; written += chunk.length) writeSync(fd, chunk);
    closeSync(fd);
    expectUsageError(await runCli(["scan", f]), /huge\.json:1:\d+: invalid JSON/);
    expectUsageError(
      await runCli(["scan", f, "--max-file-size", "1000000"]),
      /huge\.json: \d+ bytes is over the 1000000-byte input limit/,
    );
  });
});
