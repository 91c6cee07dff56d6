import { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { startPluginProcess } from "./plugin-process";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import type * as providerPb from "@pulumi/pulumi/proto/provider_pb";

/*
 * Runs a source-based component package the way the Pulumi CLI does, without the CLI. The nodejs
 * language host's RunPlugin (pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs/main.go, commit
 * 1b5949891b3cefcb9974752b24a5ecef0acc86c8) starts `node <@pulumi/pulumi/cmd/run-plugin> <plugin dir>
 * <engine address>` in the user's working directory (not the plugin's), with PULUMI_NODEJS_TYPESCRIPT set
 * for the default `typescript: true`; the provider prints its gRPC port as the first stdout line and
 * then speaks the ResourceProvider protocol. Stubs and grpc-js come from @pulumi/pulumi's own tree.
 */
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const grpc = pulumiRequire("@grpc/grpc-js") as typeof grpcTypes;
const services = pulumiRequire("./proto/provider_grpc_pb") as typeof providerGrpc;
export const providerMessages = pulumiRequire("./proto/provider_pb") as typeof providerPb;
type StructClass = NonNullable<ReturnType<providerPb.ConstructRequest["getInputs"]>>;
export const structPb = pulumiRequire("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(v: Record<string, unknown>): StructClass };
};

type Unary<Req, Res> = (req: Req, cb: (err: grpcTypes.ServiceError | null, res: Res) => void) => unknown;
function call<Req, Res>(fn: Unary<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}

export interface StartOptions {
  /** Directory with PulumiPlugin.yaml. */
  pluginDir: string;
  /** Engine gRPC address handed to the plugin (the fake engine's, or any address for GetSchema only). */
  engineAddress: string;
}

export class ProviderProcess {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly client: providerGrpc.ResourceProviderClient,
    private readonly workDir: string,
    /** Milliseconds from spawn until the port line was read. */
    readonly startMs: number,
    readonly stderr: () => string,
  ) {}

  static async start(opts: StartOptions): Promise<ProviderProcess> {
    const runner = require.resolve("@pulumi/pulumi/cmd/run-plugin");
    // A user's project directory: no tsconfig.json, so ts-node uses run-plugin's defaults, as for a user.
    const workDir = mkdtempSync(path.join(tmpdir(), "rdp-guard-user-project-"));
    const started = performance.now();
    const { child, port, stderr } = await startPluginProcess(
      [runner, path.resolve(opts.pluginDir), opts.engineAddress],
      { cwd: workDir, env: { ...process.env, PULUMI_NODEJS_TYPESCRIPT: "true" } },
      "provider",
    );
    const startMs = performance.now() - started;
    const client = new services.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new ProviderProcess(child, client, workDir, startMs, stderr);
  }

  /** Process id of the provider (for CPU accounting). */
  get pid(): number {
    return this.child.pid!;
  }

  async stop(): Promise<void> {
    this.client.close();
    if (this.child.exitCode === null) {
      this.child.kill();
      await new Promise((r) => this.child.once("exit", r));
    }
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /** GetSchema (version 0, the only one a component provider answers) parsed as JSON. */
  async getSchema(): Promise<Record<string, unknown>> {
    const req = new providerMessages.GetSchemaRequest().setVersion(0);
    const res = await call<providerPb.GetSchemaRequest, providerPb.GetSchemaResponse>(
      this.client.getSchema.bind(this.client),
      req,
    );
    return JSON.parse(res.getSchema()) as Record<string, unknown>;
  }

  async construct(req: providerPb.ConstructRequest): Promise<providerPb.ConstructResponse> {
    return call<providerPb.ConstructRequest, providerPb.ConstructResponse>(
      this.client.construct.bind(this.client),
      req,
    );
  }
}
