import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ComponentProviderOptions, componentProviderHost } from "@pulumi/pulumi/provider/experimental";
import { packageVersion } from "../../src/version";
import { RdpHardening } from "../rdp-hardening";

/*
 * Runtime entry of the component package (package.json "main" points at its build in dist/): the
 * nodejs language host requires it with the engine address as argument; componentProviderHost serves
 * the ResourceProvider gRPC protocol and prints its port. Running the build instead of the .ts source
 * keeps ts-node from type-checking the whole component on every start (about 6 s of CPU).
 * The schema is still inferred from the TypeScript source: the analyzer starts at index.ts beside
 * package.json (the build's path has no .ts twin) with this directory's tsconfig.json.
 * Nothing is exported: the language host would otherwise try to host the exports a second time.
 */
function pluginDir(): string {
  // From components/provider (ts-node) or dist/components/provider (build): up to the repository root.
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, "package.json");
    const name = existsSync(manifest)
      ? (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name
      : undefined;
    if (name === "azure-rdp-guard") {
      return path.join(dir, "components", "provider");
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the azure-rdp-guard repository above ${__dirname}`);
    dir = up;
  }
}

// `version` is read by ComponentProvider (typed on its `options`, not on the public options): the
// schema version follows the repository's package.json instead of a copy in this directory.
const options: ComponentProviderOptions & { version: string } = {
  components: [RdpHardening],
  name: "azure-rdp-guard",
  version: packageVersion(),
  dirname: pluginDir(),
};
componentProviderHost(options).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`azure-rdp-guard component provider failed to start: ${message}`);
  process.exit(1);
});
