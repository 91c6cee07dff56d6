import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/files";

/*
 * The composite GitHub Action (action.yml): its scan step's script runs here under bash the way the
 * runner runs it (inputs as env, GITHUB_OUTPUT file), with `npx` replaced by a shim that records
 * the package spec and runs this repository's built CLI instead of downloading it.
 */
const actionText = readFileSync(path.join(ROOT, "action.yml"), "utf8");
const version = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const inputNames = [
  ...actionText
    .split(/^outputs:/m)[0]!
    .split(/^inputs:/m)[1]!
    .matchAll(/^ {2}([a-z-]+):$/gm),
].map((m) => m[1]!);
/** The `run: |` block of the scan step, de-indented. */
const script = /^ {6}run: \|\n((?: {8}.*\n|\n)+)/m.exec(actionText)![1]!.replace(/^ {8}/gm, "");
const tmp = mkdtempSync(path.join(os.tmpdir(), "rdpg-action-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function runAction(inputs: Record<string, string>): {
  code: number | null;
  spec: string;
  outputs: string;
  stderr: string;
} {
  const bin = path.join(tmp, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    path.join(bin, "npx"),
    `#!/bin/sh\necho "$2" > "${tmp}/spec"\nshift 2\nexec "${process.execPath}" "${ROOT}/bin/rdp-guard.js" "$@"\n`,
  );
  chmodSync(path.join(bin, "npx"), 0o755);
  const ghOutput = path.join(tmp, `out-${Math.random().toString(36).slice(2)}`);
  writeFileSync(ghOutput, "");
  const defaults: Record<string, string> = {
    paths: ".",
    format: "sarif",
    output: "rdp-guard.sarif",
    config: "",
    parameters: "",
    "fail-on": "error",
    version: "",
  };
  const all = { ...defaults, ...inputs };
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}/usr/bin:/bin`,
    GITHUB_OUTPUT: ghOutput,
    ACTION_PATH: ROOT,
    NO_COLOR: "1",
    RDPG_PATHS: all.paths,
    RDPG_FORMAT: all.format,
    RDPG_OUTPUT: all.output,
    RDPG_CONFIG: all.config,
    RDPG_PARAMETERS: all.parameters,
    RDPG_FAIL_ON: all["fail-on"],
    RDPG_VERSION: all.version,
  };
  // How GitHub runs `shell: bash` steps (docs: "jobs.<job_id>.steps[*].shell").
  const file = path.join(tmp, "step.sh");
  writeFileSync(file, script);
  const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", file], { cwd: tmp, env, encoding: "utf8" });
  return {
    code: r.status,
    spec: readFileSync(path.join(tmp, "spec"), "utf8").trim(),
    outputs: readFileSync(ghOutput, "utf8"),
    stderr: r.stderr,
  };
}

describe("action.yml (composite action)", () => {
  it("passes every input to the step, and only through env", () => {
    expect(inputNames).toEqual(
      expect.arrayContaining(["paths", "format", "output", "config", "parameters", "fail-on", "version"]),
    );
    for (const name of inputNames.filter((n) => n !== "node-version"))
      expect(actionText).toContain(`\${{ inputs.${name} }}`);
    expect(script).not.toContain("${{");
  });

  it("writes SARIF, fails on findings, reports exit code and path; runs the action's own package version", () => {
    const out = path.join(tmp, "scan.sarif");
    const r = runAction({ paths: `${ROOT}/examples/fleet ${ROOT}/examples/windows-vm`, output: out });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    expect(r.spec).toBe(`azure-rdp-guard@${version}`);
    const sarif = JSON.parse(readFileSync(out, "utf8")) as { runs: { results: unknown[] }[] };
    expect(sarif.runs[0]!.results.length).toBeGreaterThan(0);
    expect(r.outputs).toBe(`report=${out}\nexit-code=1\n`);
  });

  it("fail-on never passes with findings; a version input pins the package; bad input exits 2", () => {
    const pinned = runAction({
      paths: `${ROOT}/examples/fleet`,
      output: path.join(tmp, "b.sarif"),
      "fail-on": "never",
      version: "9.9.9",
    });
    expect(pinned.code).toBe(0);
    expect(pinned.spec).toBe("azure-rdp-guard@9.9.9");
    const bad = runAction({ paths: path.join(tmp, "missing.json"), output: "" });
    expect(bad.code).toBe(2);
    expect(bad.outputs).toContain("exit-code=2");
  });
});
