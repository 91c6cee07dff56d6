import { existsSync, readFileSync, readdirSync } from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/files";

/*
 * The bugs of issue 9 as static checks of package.json (fast; the consumer test proves the same by
 * installing): runtime code importing a devDependency, the pack reaching into ../src, two versions.
 */
interface Manifest {
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const read = (f: string): Manifest => JSON.parse(readFileSync(path.join(ROOT, f), "utf8")) as Manifest;
const root = read("package.json");
const files = (dir: string, ext: RegExp): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? e.name === "node_modules"
        ? []
        : files(path.join(dir, e.name), ext)
      : ext.test(e.name)
        ? [path.join(dir, e.name)]
        : [],
  );
/** Module specifiers of require()/import()/import ... from in a file. */
const specifiers = (file: string): string[] =>
  [...readFileSync(file, "utf8").matchAll(/(?:require\(|import\(|from )\s*"([^"]+)"/g)].map((m) => m[1]!);
const packageOf = (spec: string): string =>
  spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;

describe("package.json", () => {
  it("every package the built runtime code loads is a dependency or a peer dependency", () => {
    const runtime = [
      ...files(path.join(ROOT, "dist/src"), /\.js$/),
      ...files(path.join(ROOT, "dist/components"), /\.js$/),
    ];
    expect(runtime.length).toBeGreaterThan(30);
    const declared = new Set([...Object.keys(root.dependencies ?? {}), ...Object.keys(root.peerDependencies ?? {})]);
    const missing = new Set<string>();
    for (const f of runtime) {
      for (const s of specifiers(f)) {
        if (s.startsWith(".") || s.startsWith("node:") || builtinModules.includes(s)) continue;
        if (!declared.has(packageOf(s))) missing.add(`${packageOf(s)} (${path.relative(ROOT, f)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it("every package the exported type declarations refer to is a dependency or peer (or its @types)", () => {
    const declared = new Set([...Object.keys(root.dependencies ?? {}), ...Object.keys(root.peerDependencies ?? {})]);
    const entries = ["dist/components/index.d.ts", "dist/src/index.d.ts", "dist/components/policies/index.d.ts"];
    const seen = new Set<string>();
    const missing = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const s of specifiers(file)) {
        if (s.startsWith(".")) {
          const base = path.resolve(path.dirname(file), s);
          visit([`${base}.d.ts`, path.join(base, "index.d.ts")].find((c) => existsSync(c)) ?? `${base}.d.ts`);
        } else if (!s.startsWith("node:") && !builtinModules.includes(s)) {
          const p = packageOf(s);
          if (!declared.has(p) && !declared.has(`@types/${p.replace(/^@(.*)\//, "$1__")}`))
            missing.add(`${p} (${path.relative(ROOT, file)})`);
        }
      }
    };
    for (const e of entries) visit(path.join(ROOT, e));
    expect(seen.size).toBeGreaterThan(10);
    expect([...missing]).toEqual([]);
  });

  it(
    "the policy pack imports only azure-rdp-guard, the Pulumi SDKs and its own files; " +
      "its version is the package's",
    () => {
      const pack = read("policies/package.json");
      expect(pack.version).toBe(root.version);
      expect(pack.dependencies?.["azure-rdp-guard"]).toBe("file:..");
      for (const f of files(path.join(ROOT, "policies"), /\.ts$/)) {
        for (const s of specifiers(f)) {
          const ok =
            s.startsWith("./") ||
            /^azure-rdp-guard(\/|$)/.test(s) ||
            Object.keys(pack.dependencies ?? {}).includes(packageOf(s));
          expect(ok, `${path.relative(ROOT, f)} imports ${s}`).toBe(true);
        }
      }
    },
  );
});
