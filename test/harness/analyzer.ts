import { ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { startPluginProcess } from "./plugin-process";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import type * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";

/*
 * Runs a policy pack the way the Pulumi CLI does: `node run-policy-pack <engine> <pack-dir>` in the
 * pack directory (ts-node type-checks the pack), reads the port from the first stdout line, and talks
 * to it over the real gRPC Analyzer protocol. The stubs and grpc-js are loaded from @pulumi/pulumi's
 * own dependency tree so protobuf classes match the server's.
 */
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const grpc = pulumiRequire("@grpc/grpc-js") as typeof grpcTypes;
const services = pulumiRequire("./proto/analyzer_grpc_pb") as typeof analyzerGrpc;
const pb = pulumiRequire("./proto/analyzer_pb") as typeof analyzerPb;
/** The slice of google-protobuf's Struct/Empty the harness uses (loaded from Pulumi's own copy). */
interface StructModule {
  Struct: {
    fromJavaScript(
      value: Record<string, unknown>,
    ): analyzerPb.AnalyzeRequest["getProperties"] extends () => infer S ? NonNullable<S> : never;
  };
}
const structPb = pulumiRequire("google-protobuf/google/protobuf/struct_pb") as StructModule;
const emptyPb = pulumiRequire("google-protobuf/google/protobuf/empty_pb") as {
  Empty: new () => Parameters<analyzerGrpc.AnalyzerClient["getAnalyzerInfo"]>[0];
};

export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** Repository root, found by walking up (this file also runs compiled, from dist/, in benchmarks). */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "policies", "PulumiPolicy.yaml"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("cannot find the repository root (policies/PulumiPolicy.yaml)");
    dir = up;
  }
  return dir;
}
export const PACK_DIR = path.join(repoRoot(), "policies");

export interface Diagnostic {
  policyName: string;
  message: string;
  enforcementLevel: "advisory" | "mandatory" | "disabled" | "remediate";
  urn: string;
}

export interface ResourceSpec {
  type: string;
  name: string;
  props: Record<string, unknown>;
  urn?: string;
  /** URNs each property's value comes from (AnalyzeStack only), as the engine sends them. */
  propertyDependencies?: Record<string, string[]>;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

type Unary<Req, Res> = (req: Req, cb: (err: grpcTypes.ServiceError | null, res: Res) => void) => unknown;

function call<Req, Res>(fn: Unary<Req, Res>, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => fn(req, (err, res) => (err ? reject(err) : resolve(res))));
}

export function urnOf(r: ResourceSpec): string {
  return r.urn ?? `urn:pulumi:test::proj::${r.type}::${r.name}`;
}

export class PolicyPackProcess {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly client: analyzerGrpc.AnalyzerClient,
    readonly stderr: () => string,
  ) {}

  /** `runner`: the host's run-policy-pack; by default this repository's, else e.g. the pack's own install. */
  static async start(
    packDir = PACK_DIR,
    runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack"),
  ): Promise<PolicyPackProcess> {
    const { child, port, stderr } = await startPluginProcess(
      [runner, "127.0.0.1:1", packDir],
      { cwd: packDir, env: { ...process.env } },
      "policy pack",
    );
    const client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    return new PolicyPackProcess(child, client, stderr);
  }

  async stop(): Promise<void> {
    this.client.close();
    this.child.kill();
    await new Promise((r) => this.child.once("exit", r));
  }

  async info(): Promise<analyzerPb.AnalyzerInfo> {
    return call<Parameters<analyzerGrpc.AnalyzerClient["getAnalyzerInfo"]>[0], analyzerPb.AnalyzerInfo>(
      this.client.getAnalyzerInfo.bind(this.client),
      new emptyPb.Empty(),
    );
  }

  /** Sends policy config as the CLI does for `--policy-pack-config`. */
  async configure(
    config: Record<string, { enforcementLevel?: (typeof LEVELS)[number]; [k: string]: unknown }>,
  ): Promise<void> {
    const req = new pb.ConfigureAnalyzerRequest();
    for (const [name, { enforcementLevel, ...props }] of Object.entries(config)) {
      const pc = new pb.PolicyConfig();
      pc.setEnforcementlevel(LEVELS.indexOf(enforcementLevel ?? "mandatory"));
      pc.setProperties(structPb.Struct.fromJavaScript(props));
      req.getPolicyconfigMap().set(name, pc);
    }
    await call<analyzerPb.ConfigureAnalyzerRequest, unknown>(this.client.configure.bind(this.client), req);
  }

  async analyze(r: ResourceSpec): Promise<Diagnostic[]> {
    const req = fill(new pb.AnalyzeRequest(), r);
    const res = await call<analyzerPb.AnalyzeRequest, analyzerPb.AnalyzeResponse>(
      this.client.analyze.bind(this.client),
      req,
    );
    return diagnostics(res);
  }

  async analyzeStack(resources: ResourceSpec[]): Promise<Diagnostic[]> {
    const req = new pb.AnalyzeStackRequest();
    req.setResourcesList(resources.map((r) => fill(new pb.AnalyzerResource(), r)));
    const res = await call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(
      this.client.analyzeStack.bind(this.client),
      req,
    );
    return diagnostics(res);
  }

  async remediate(r: ResourceSpec): Promise<{ policyName: string; properties: Record<string, unknown> | undefined }[]> {
    const req = fill(new pb.AnalyzeRequest(), r);
    const res = await call<analyzerPb.AnalyzeRequest, analyzerPb.RemediateResponse>(
      this.client.remediate.bind(this.client),
      req,
    );
    return res.getRemediationsList().map((m) => ({
      policyName: m.getPolicyname(),
      properties: m.getProperties()?.toJavaScript() as Record<string, unknown> | undefined,
    }));
  }
}

/** Type, name, URN, properties and (required by the host) options, on either request shape. */
function fill<T extends analyzerPb.AnalyzeRequest | analyzerPb.AnalyzerResource>(msg: T, r: ResourceSpec): T {
  msg.setType(r.type);
  msg.setName(r.name);
  msg.setUrn(urnOf(r));
  msg.setProperties(structPb.Struct.fromJavaScript(r.props));
  msg.setOptions(new pb.AnalyzerResourceOptions());
  if (msg instanceof pb.AnalyzerResource) {
    for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
      msg.getPropertydependenciesMap().set(k, new pb.AnalyzerPropertyDependencies().setUrnsList(urns));
    }
  }
  return msg;
}

function diagnostics(res: analyzerPb.AnalyzeResponse): Diagnostic[] {
  return res.getDiagnosticsList().map((d) => ({
    policyName: d.getPolicyname(),
    message: d.getMessage(),
    enforcementLevel: LEVELS[d.getEnforcementlevel()]!,
    urn: d.getUrn(),
  }));
}

/** One inbound Allow of TCP 3389 from `*` (an azure-native SecurityRule's props), overridable field by field. */
export function rdpRule(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "allow-rdp",
    priority: 200,
    direction: "Inbound",
    access: "Allow",
    protocol: "Tcp",
    sourceAddressPrefix: "*",
    sourcePortRange: "*",
    destinationAddressPrefix: "*",
    destinationPortRange: "3389",
    ...over,
  };
}

/** An azure-native NetworkSecurityGroup resource with the given inline rules, as the engine sends it. */
export function nativeNsg(rules: Record<string, unknown>[], name = "web-nsg"): ResourceSpec {
  return {
    type: "azure-native:network:NetworkSecurityGroup",
    name,
    props: {
      resourceGroupName: "rg-web",
      networkSecurityGroupName: name,
      location: "westeurope",
      securityRules: rules,
    },
  };
}
