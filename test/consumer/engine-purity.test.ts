import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/files";

/*
 * docs/ARCHITECTURE.md: src/ never loads Pulumi. Checked at run time in a fresh Node process (the
 * test runner's own module graph would hide it): a Module._load hook records every request for an
 * `@pulumi/*` module, and require.cache is searched for any that got loaded anyway.
 */
function pulumiLoadsAfter(code: string): { requested: string[]; cached: string[] } {
  const probe = `
const Module = require("node:module");
const requested = [];
const load = Module._load;
Module._load = function (request, ...rest) {
  if (/^@pulumi\\//.test(request)) requested.push(request);
  return load.call(this, request, ...rest);
};
${code}
const cached = Object.keys(require.cache).filter((k) => /[\\\\/]node_modules[\\\\/]@pulumi[\\\\/]/.test(k));
process.stdout.write(JSON.stringify({ requested, cached }));`;
  return JSON.parse(execFileSync(process.execPath, ["-e", probe], { cwd: ROOT, encoding: "utf8" })) as {
    requested: string[];
    cached: string[];
  };
}

function jsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(path.join(dir, e.name)) : e.name.endsWith(".js") ? [path.join(dir, e.name)] : [],
  );
}

describe("the engine entry loads no Pulumi", () => {
  it("azure-rdp-guard/engine, used for a scan, requests and loads no @pulumi/* module", () => {
    const r = pulumiLoadsAfter(`
const engine = require("azure-rdp-guard/engine");
const nsg = { id: "n", name: "n", type: "t", rules: [] };
engine.scanNsgs([nsg], engine.DEFAULT_CONFIG);`);
    expect(r).toEqual({ requested: [], cached: [] });
  });

  it("no module of src/ (the CLI included) loads Pulumi when required", () => {
    const files = jsFiles(path.join(ROOT, "dist/src")).filter((f) => !f.endsWith(path.join("cli", "main.js")));
    expect(files.length).toBeGreaterThan(30);
    const r = pulumiLoadsAfter(`for (const f of ${JSON.stringify(files)}) require(f);`);
    expect(r).toEqual({ requested: [], cached: [] });
  });

  it("no module of src/ has a dynamic import of Pulumi or of components/ that a require would miss", () => {
    const offenders = jsFiles(path.join(ROOT, "dist/src")).filter((f) =>
      /(require|import)\(\s*["'](@pulumi\/|[./]+components\/)/.test(readFileSync(f, "utf8")),
    );
    expect(offenders).toEqual([]);
  });

  it("the package root (the Pulumi component) does load Pulumi, so the probe can see it", () => {
    const r = pulumiLoadsAfter(`require("azure-rdp-guard");`);
    expect(r.requested).toContain("@pulumi/pulumi");
    expect(r.requested).toContain("@pulumi/azure-native/compute");
    expect(r.requested).not.toContain("@pulumi/azure-native");
    expect(r.cached.length).toBeGreaterThan(0);
  });
});
