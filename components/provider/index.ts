import { ComponentProviderOptions, componentProviderHost } from "@pulumi/pulumi/provider/experimental";
import { packageVersion } from "../../src/cli/version";
import { RdpHardening } from "../rdp-hardening";

/*
 * Entry of the component package. The nodejs language host runs this file (through ts-node) with the
 * engine address as argument; componentProviderHost serves the ResourceProvider gRPC protocol and
 * prints its port. The schema is inferred from the TypeScript source of RdpHardening and its Args,
 * starting at this file (package.json "main") with this directory's tsconfig.json.
 * Nothing is exported: the language host would otherwise try to host the exports a second time.
 */
// `version` is read by ComponentProvider (typed on its `options`, not on the public options): the
// schema version follows the repository's package.json instead of a copy in this directory.
const options: ComponentProviderOptions & { version: string } = {
  components: [RdpHardening],
  name: "azure-rdp-guard",
  version: packageVersion(),
  dirname: __dirname,
};
componentProviderHost(options).catch((err: unknown) => {
  console.error(`azure-rdp-guard component provider failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
