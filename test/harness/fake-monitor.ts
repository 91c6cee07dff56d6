import { createRequire } from "node:module";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import type * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import type * as resourceGrpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import type * as resourcePb from "@pulumi/pulumi/proto/resource_pb";

/*
 * A minimal Pulumi engine for a component provider's Construct: the Engine service (logging, root
 * resource) and the ResourceMonitor service (feature checks, RegisterResource, RegisterResourceOutputs)
 * on one gRPC server. It records every call. Behaviour follows pulumi/pulumi's resource monitor,
 * pkg/resource/deploy/source_eval.go (commit 1b5949891b3cefcb9974752b24a5ecef0acc86c8):
 * - SupportsFeature: `supportsFeatureID` answers true for exactly the ids in FEATURES below.
 * - RegisterResource: answers the URN (sdk/go/common/resource/urn.go: `urn:pulumi:<stack>::<project>::
 *   <parent type>$<type>::<name>`, the parent's qualified type prefixed for non-root parents), the ID
 *   (empty during preview: unknown until created) and the outputs. During preview the outputs of a
 *   custom resource are its checked inputs; a component has none until RegisterResourceOutputs.
 * - Services the provider does not need here answer UNIMPLEMENTED, as an engine without them would.
 * Protobuf classes and grpc-js come from @pulumi/pulumi's own dependency tree so they match the SDK's.
 */
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const grpc = pulumiRequire("@grpc/grpc-js") as typeof grpcTypes;
const resourceServices = pulumiRequire("./proto/resource_grpc_pb") as typeof resourceGrpc;
const resourceMessages = pulumiRequire("./proto/resource_pb") as typeof resourcePb;
const engineServices = pulumiRequire("./proto/engine_grpc_pb") as typeof engineGrpc;
const engineMessages = pulumiRequire("./proto/engine_pb") as typeof enginePb;
type StructClass = NonNullable<ReturnType<resourcePb.RegisterResourceRequest["getObject"]>>;
const structPb = pulumiRequire("google-protobuf/google/protobuf/struct_pb") as {
  Struct: { fromJavaScript(v: Record<string, unknown>): StructClass };
};
const emptyPb = pulumiRequire("google-protobuf/google/protobuf/empty_pb") as { Empty: new () => unknown };

/** Feature ids the real monitor supports (source_eval.go, supportsFeatureID). */
export const FEATURES = new Set([
  "secrets",
  "resourceReferences",
  "outputValues",
  "aliasSpecs",
  "replacementTrigger",
  "deletedWith",
  "replaceWith",
  "transforms",
  "invokeTransforms",
  "parameterization",
  "resourceHooks",
  "errorHooks",
  "sendsOptionsToHooks",
]);

export interface RegisteredResource {
  urn: string;
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  remote: boolean;
  /** Inputs as sent (Pulumi's wire form: secrets and unknowns keep their signature objects). */
  object: Record<string, unknown>;
  additionalSecretOutputs: string[];
  provider: string;
  version: string;
}

export interface LogEntry {
  severity: number;
  message: string;
  urn: string;
}

export class FakeEngine {
  readonly registered: RegisteredResource[] = [];
  readonly outputs = new Map<string, Record<string, unknown>>();
  readonly logs: LogEntry[] = [];
  readonly features: string[] = [];
  readonly unimplemented: string[] = [];
  private rootResource = "";

  private constructor(
    private readonly server: grpcTypes.Server,
    readonly address: string,
    readonly project: string,
    readonly stack: string,
  ) {}

  static async start(project = "rdp-guard-test", stack = "dev"): Promise<FakeEngine> {
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const engine = new FakeEngine(server, `127.0.0.1:${port}`, project, stack);
    type Untyped = grpcTypes.UntypedServiceImplementation;
    server.addService(resourceServices.ResourceMonitorService, engine.monitor() as unknown as Untyped);
    server.addService(engineServices.EngineService, engine.engine() as unknown as Untyped);
    return engine;
  }

  /** URN of the stack resource, the parent of top-level resources. */
  get stackUrn(): string {
    return `urn:pulumi:${this.stack}::${this.project}::pulumi:pulumi:Stack::${this.project}-${this.stack}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private urnOf(type: string, name: string, parent: string): string {
    const parentType = parent && parent !== this.stackUrn ? parent.split("::")[2] : undefined;
    return `urn:pulumi:${this.stack}::${this.project}::${parentType ? `${parentType}$` : ""}${type}::${name}`;
  }

  private unimplementedHandler(name: string) {
    return (_call: unknown, cb: grpcTypes.sendUnaryData<never>) => {
      this.unimplemented.push(name);
      cb({ code: grpc.status.UNIMPLEMENTED, details: `fake engine: ${name} is not implemented` }, null);
    };
  }

  private monitor(): Partial<resourceGrpc.IResourceMonitorServer> & Record<string, unknown> {
    return {
      supportsFeature: (call, cb) => {
        const id = call.request.getId();
        this.features.push(id);
        cb(null, new resourceMessages.SupportsFeatureResponse().setHassupport(FEATURES.has(id)));
      },
      registerResource: (call, cb) => {
        const req = call.request;
        const object = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
        const urn = this.urnOf(req.getType(), req.getName(), req.getParent());
        if (this.registered.some((r) => r.urn === urn)) {
          // The engine fails a deployment that registers one URN twice (lifecycle test TestDuplicateURN).
          const details = `Duplicate resource URN '${urn}'; try giving it a unique name`;
          cb({ code: grpc.status.INVALID_ARGUMENT, details }, null);
          return;
        }
        this.registered.push({
          urn,
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent(),
          custom: req.getCustom(),
          remote: req.getRemote(),
          object,
          additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
          provider: req.getProvider(),
          version: req.getVersion(),
        });
        const res = new resourceMessages.RegisterResourceResponse()
          .setUrn(urn)
          .setId("")
          .setObject(structPb.Struct.fromJavaScript(req.getCustom() ? object : {}));
        cb(null, res);
      },
      registerResourceOutputs: (call, cb) => {
        const req = call.request;
        this.outputs.set(req.getUrn(), (req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>);
        cb(null, new emptyPb.Empty() as never);
      },
      invoke: this.unimplementedHandler("Invoke"),
      call: this.unimplementedHandler("Call"),
      readResource: this.unimplementedHandler("ReadResource"),
      registerPackage: this.unimplementedHandler("RegisterPackage"),
      registerStackTransform: this.unimplementedHandler("RegisterStackTransform"),
      registerStackInvokeTransform: this.unimplementedHandler("RegisterStackInvokeTransform"),
      registerResourceHook: this.unimplementedHandler("RegisterResourceHook"),
      registerErrorHook: this.unimplementedHandler("RegisterErrorHook"),
      signalAndWaitForShutdown: this.unimplementedHandler("SignalAndWaitForShutdown"),
      getDeploymentInfo: this.unimplementedHandler("GetDeploymentInfo"),
    };
  }

  private engine(): Partial<engineGrpc.IEngineServer> & Record<string, unknown> {
    return {
      log: (call, cb) => {
        const req = call.request;
        this.logs.push({ severity: req.getSeverity(), message: req.getMessage(), urn: req.getUrn() });
        cb(null, new emptyPb.Empty() as never);
      },
      getRootResource: (_call, cb) => cb(null, new engineMessages.GetRootResourceResponse().setUrn(this.rootResource)),
      setRootResource: (call, cb) => {
        this.rootResource = call.request.getUrn();
        cb(null, new engineMessages.SetRootResourceResponse());
      },
      startDebugging: this.unimplementedHandler("StartDebugging"),
      requirePulumiVersion: this.unimplementedHandler("RequirePulumiVersion"),
    };
  }
}
