import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeHardeningCommand } from "../../src/baseline/encode";
import { DEFAULT_HARDENING } from "../../src/baseline/options";
import { scriptSha256 } from "../../src/baseline/render-online";
import { FakeEngine } from "../harness/fake-monitor";
import { ProviderProcess, providerMessages, structPb } from "../harness/provider-host";

/*
 * The component package as the Pulumi engine uses it, without the Pulumi CLI: the provider process is
 * started the way the nodejs language host starts a source-based plugin, and spoken to over the real
 * ResourceProvider gRPC protocol. Construct runs against a fake engine (test/harness/fake-monitor.ts).
 */
const ROOT = path.resolve(__dirname, "../..");
const PLUGIN_DIR = path.join(ROOT, "components/provider");
const TOKEN = "azure-rdp-guard:index:RdpHardening";

/**
 * Pulumi's package metaschema: pkg/codegen/schema/pulumi.json of pulumi/pulumi at commit
 * 01c4ec37f501a3eb579e0a092da0e63fc43cf03c, vendored beside this test with annotation-only keywords
 * (description, title, $comment) dropped; every validation keyword is as published.
 */
const METASCHEMA = process.env.PULUMI_PACKAGE_METASCHEMA ?? path.join(__dirname, "pulumi-package-metaschema.json");

const SECRET_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
/** Unwraps Pulumi's wire forms of secrets and output values; says whether the value was secret. */
function unwrap(v: unknown): { secret: boolean; value: unknown } {
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    if (o[SECRET_KEY] === SECRET_SIG) return { secret: true, value: unwrap(o.value).value };
    if (o[SECRET_KEY] === OUTPUT_SIG) {
      const inner = unwrap(o.value);
      return { secret: o.secret === true || inner.secret, value: inner.value };
    }
  }
  return { secret: false, value: v };
}

type Json = Record<string, unknown>;
let provider: ProviderProcess;
let engine: FakeEngine;
let schema: Json;
let schemaMs = 0;

beforeAll(async () => {
  engine = await FakeEngine.start();
  provider = await ProviderProcess.start({ pluginDir: PLUGIN_DIR, engineAddress: engine.address });
  const t0 = performance.now();
  schema = await provider.getSchema();
  schemaMs = performance.now() - t0;
  console.log(`component provider: start ${provider.startMs.toFixed(0)} ms, first GetSchema ${schemaMs.toFixed(0)} ms`);
});

afterAll(async () => {
  await provider?.stop();
  await engine?.stop();
});

const resource = (): Json => (schema.resources as Record<string, Json>)[TOKEN]!;

describe("component package: GetSchema over gRPC", () => {
  it("is a valid Pulumi package schema (Pulumi's published metaschema)", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(METASCHEMA, "utf8")) as Json);
    const ok = validate(schema);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 1)).toEqual([]);
    expect(ok).toBe(true);
    // The metaschema rejects what it does not know: a broken schema really fails here.
    expect(validate({ ...schema, name: "1-not-a-name" })).toBe(false);
  });

  it("names the package after the repository and versions it with package.json", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(schema.name).toBe("azure-rdp-guard");
    expect(schema.version).toBe(pkg.version);
    expect(Object.keys(schema.resources as Json)).toEqual([TOKEN]);
    expect(resource().isComponent).toBe(true);
    // No resource references: generated SDKs do not depend on one pinned azure-native version.
    expect(schema.dependencies ?? []).toEqual([]);
  });

  it("types every baseline option, mode, allowReboot, runId, extensionName and delivery as inputs", () => {
    const inputs = resource().inputProperties as Record<string, Json>;
    for (const k of Object.keys(DEFAULT_HARDENING)) expect(inputs, k).toHaveProperty(k);
    const typeOf = (k: string): unknown => inputs[k]!.type ?? inputs[k]!.$ref;
    for (const [k, v] of Object.entries(DEFAULT_HARDENING)) {
      if (typeof v === "boolean") expect(typeOf(k), k).toBe("boolean");
      if (typeof v === "number") expect(typeOf(k), k).toBe("number");
    }
    expect(typeOf("securityLayer")).toBe("#/types/azure-rdp-guard:index:SecurityLayer");
    expect(typeOf("mode")).toBe("#/types/azure-rdp-guard:index:HardeningMode");
    expect(typeOf("allowReboot")).toBe("boolean");
    expect(typeOf("runId")).toBe("string");
    expect(typeOf("extensionName")).toBe("string");
    expect(typeOf("delivery")).toBe("#/types/azure-rdp-guard:index:Delivery");
    expect(resource().requiredInputs).toEqual(["resourceGroupName", "vmName"]);
    // The script is rendered when the component is created: its options must be known then (plain);
    // the Azure identifiers and runId may be outputs of other resources.
    for (const k of [...Object.keys(DEFAULT_HARDENING), "mode", "allowReboot", "extensionName", "delivery"]) {
      expect(inputs[k]!.plain, k).toBe(true);
    }
    for (const k of ["resourceGroupName", "vmName", "location", "runId"]) expect(inputs[k]!.plain, k).toBeUndefined();
    expect(JSON.stringify(schema)).not.toContain("pulumi.json#/Any");
  });

  it("turns the string unions into schema enums", () => {
    const types = schema.types as Record<string, { type: string; enum: { name: string; value: string }[] }>;
    expect(types["azure-rdp-guard:index:SecurityLayer"]).toMatchObject({
      type: "string",
      enum: [
        { name: "Negotiate", value: "negotiate" },
        { name: "Tls", value: "tls" },
      ],
    });
    expect(types["azure-rdp-guard:index:HardeningMode"]).toMatchObject({
      type: "string",
      enum: [
        { name: "Enforce", value: "enforce" },
        { name: "Audit", value: "audit" },
      ],
    });
    expect(types["azure-rdp-guard:index:Delivery"]).toMatchObject({
      type: "string",
      enum: [
        { name: "CustomScript", value: "customScript" },
        { name: "RunCommand", value: "runCommand" },
      ],
    });
  });

  it("outputs extensionName, scriptSha256 and settings, and nothing that carries the command", () => {
    const props = resource().properties as Record<string, Json>;
    expect(Object.keys(props).sort()).toEqual(["extensionName", "scriptSha256", "settings"]);
    expect(props.extensionName!.type).toBe("string");
    expect(props.scriptSha256!.type).toBe("string");
    expect(props.settings!.$ref).toBe("#/types/azure-rdp-guard:index:RdpHardeningSettings");
    const settings = (schema.types as Record<string, { properties: Json; required: string[] }>)[
      "azure-rdp-guard:index:RdpHardeningSettings"
    ]!;
    const expected = [...Object.keys(DEFAULT_HARDENING), "allowReboot", "mode"];
    expect(Object.keys(settings.properties).sort()).toEqual(expected.sort());
    expect(settings.required).toEqual(Object.keys(settings.properties).sort());
    // The command is never a component input or output: no property of the schema can carry it.
    const names = [resource().inputProperties, resource().properties, settings.properties].flatMap((p) =>
      Object.keys(p as Json),
    );
    expect(names.filter((n) => /command|script$|protected/i.test(n))).toEqual([]);
  });
});

describe("component package: install step", () => {
  it("leaves an installed and built checkout alone when pulumi package add installs the plugin folder", () => {
    // `npm install` in components/provider runs this; in a fresh clone it runs `npm ci` at the root.
    const r = spawnSync(process.execPath, ["install-root.js"], { cwd: PLUGIN_DIR, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stderr + r.stdout).toBe("");
  });
});

describe("component package: Construct against a fake engine", () => {
  it("registers the component and one VirtualMachineExtension, the command only in protectedSettings", async () => {
    const inputs = {
      resourceGroupName: "rg-web",
      vmName: "web-vm1",
      location: "westeurope",
      mode: "audit",
      rdpPort: 3390,
      runId: "2026-11-26",
    };
    const req = new providerMessages.ConstructRequest()
      .setProject(engine.project)
      .setStack(engine.stack)
      .setOrganization("organization")
      .setDryrun(true)
      .setParallel(4)
      .setMonitorendpoint(engine.address)
      .setType(TOKEN)
      .setName("web1")
      .setParent(engine.stackUrn)
      .setInputs(structPb.Struct.fromJavaScript(inputs))
      .setAcceptsOutputValues(true);
    const res = await provider.construct(req);

    const component = engine.registered.filter((r) => r.type === TOKEN);
    expect(component).toHaveLength(1);
    expect(component[0]!).toMatchObject({ name: "web1", parent: engine.stackUrn, custom: false, urn: res.getUrn() });

    const children = engine.registered.filter((r) => r.parent === res.getUrn());
    expect(children).toHaveLength(1);
    const ext = children[0]!;
    expect(ext).toMatchObject({ type: "azure-native:compute:VirtualMachineExtension", name: "web1-cse", custom: true });
    expect(ext.object).toMatchObject({
      resourceGroupName: "rg-web",
      vmName: "web-vm1",
      vmExtensionName: "azure-rdp-guard",
      location: "westeurope",
      publisher: "Microsoft.Compute",
      type: "CustomScriptExtension",
      forceUpdateTag: "2026-11-26",
    });
    expect(ext.object.settings).toBeUndefined();
    expect(ext.additionalSecretOutputs).toContain("protectedSettings");
    const protectedSettings = unwrap(ext.object.protectedSettings);
    expect(protectedSettings.secret).toBe(true);
    const command = (protectedSettings.value as { commandToExecute: string }).commandToExecute;
    const script = decodeHardeningCommand(command);
    expect(script).toContain("$Mode = 'audit'");
    expect(script).toContain("$RdpPort = 3390");
    // Outside protectedSettings the command appears nowhere that the engine sees.
    const { protectedSettings: _omit, ...rest } = ext.object;
    expect(JSON.stringify(rest)).not.toContain(command.slice(0, 40));

    const state = res.getState()!.toJavaScript() as Json;
    expect(unwrap(state.extensionName).value).toBe("azure-rdp-guard");
    expect(unwrap(state.scriptSha256).value).toBe(scriptSha256(script));
    expect(unwrap(state.settings).value).toEqual({
      ...DEFAULT_HARDENING,
      rdpPort: 3390,
      mode: "audit",
      allowReboot: false,
    });
    expect(JSON.stringify(state)).not.toContain(command.slice(0, 40));
    expect(engine.outputs.get(res.getUrn())).toBeDefined();
    expect(engine.unimplemented).toEqual([]);
  });

  it("fails Construct with the field named when an option is invalid, and registers no extension", async () => {
    const before = engine.registered.length;
    const req = new providerMessages.ConstructRequest()
      .setProject(engine.project)
      .setStack(engine.stack)
      .setDryrun(true)
      .setMonitorendpoint(engine.address)
      .setType(TOKEN)
      .setName("bad")
      .setParent(engine.stackUrn)
      .setInputs(structPb.Struct.fromJavaScript({ resourceGroupName: "rg", vmName: "vm", rdpPort: 0 }));
    await expect(provider.construct(req)).rejects.toThrow(/rdpPort: 0 is not a port/);
    expect(engine.registered.slice(before).filter((r) => r.custom)).toEqual([]);
  });
});

/*
 * The examples cannot run here (no Pulumi CLI, no Azure), so they are checked against the schema the
 * provider really serves: every property they set or read must exist under the name the Pulumi code
 * generators give it. Python names follow pulumi/pulumi pkg/codegen/python (commit 1b5949891b3c):
 * PyPack -> `pulumi_` + name with '-' as '_'; PyName -> camelCase as snake_case; makeSafeEnumName ->
 * the enum member's name as upper snake case.
 */
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const yaml = pulumiRequire("js-yaml") as { load(text: string): unknown };
const pyName = (camel: string): string => camel.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

describe("examples use the schema the provider serves", () => {
  const exampleDir = (name: string): string => path.join(ROOT, "examples", name);
  const packagesOf = (dir: string): Record<string, string> =>
    (yaml.load(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as { packages: Record<string, string> }).packages;

  it("examples/yaml-vm: the package path, type token, properties, enum values and outputs exist", () => {
    const dir = exampleDir("yaml-vm");
    expect(path.resolve(dir, packagesOf(dir)["azure-rdp-guard"]!)).toBe(PLUGIN_DIR);
    const program = yaml.load(readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as {
      resources: Record<string, { type: string; properties: Record<string, unknown> }>;
      outputs: Record<string, string>;
    };
    const uses = Object.entries(program.resources).filter(([, r]) => r.type.startsWith("azure-rdp-guard:"));
    expect(uses).toHaveLength(1);
    const [name, r] = uses[0]!;
    expect(r.type).toBe(TOKEN);
    const inputs = resource().inputProperties as Record<string, Json>;
    const types = schema.types as Record<string, { enum?: { value: string }[] }>;
    for (const [k, v] of Object.entries(r.properties)) {
      expect(inputs, k).toHaveProperty(k);
      const ref = inputs[k]!.$ref as string | undefined;
      const members = ref ? types[ref.replace("#/types/", "")]?.enum : undefined;
      if (members)
        expect(
          members.map((m) => m.value),
          k,
        ).toContain(v);
    }
    for (const k of resource().requiredInputs as string[]) expect(r.properties, k).toHaveProperty(k);
    const read = Object.values(program.outputs).map((o) => new RegExp(`^\\$\\{${name}\\.(\\w+)\\}$`).exec(o)?.[1]);
    expect(read.length).toBeGreaterThan(0);
    for (const k of read) expect(resource().properties, String(k)).toHaveProperty(String(k));
  });

  it("examples/python-vm: the import, keyword arguments, enum members and outputs match the generated SDK", () => {
    const dir = exampleDir("python-vm");
    expect(path.resolve(dir, packagesOf(dir)["azure-rdp-guard"]!)).toBe(PLUGIN_DIR);
    const source = readFileSync(path.join(dir, "__main__.py"), "utf8");
    const alias = /^import pulumi_azure_rdp_guard as (\w+)$/m.exec(source)?.[1];
    expect(alias, "import of the generated SDK").toBeDefined();
    const callMatch = new RegExp(`(\\w+) = ${alias}\\.RdpHardening\\(\\s*"[^"]+",([^)]*)\\)`, "s").exec(source);
    expect(callMatch, "RdpHardening call").not.toBeNull();
    const [, variable, body] = callMatch!;
    const kwargs = [...body!.matchAll(/^\s*(\w+)=/gm)].map((m) => m[1]!);
    const inputs = Object.keys(resource().inputProperties as Json);
    expect(kwargs.length).toBeGreaterThan(0);
    for (const k of kwargs) expect(inputs.map(pyName), k).toContain(k);
    for (const k of resource().requiredInputs as string[]) expect(kwargs).toContain(pyName(k));
    const types = schema.types as Record<string, { enum?: { name: string }[] }>;
    for (const [, type, member] of body!.matchAll(new RegExp(`${alias}\\.(\\w+)\\.(\\w+)`, "g"))) {
      const e = types[`azure-rdp-guard:index:${type}`]?.enum;
      expect(e, `enum ${type}`).toBeDefined();
      expect(
        e!.map((m) => pyName(m.name).toUpperCase()),
        `${type}.${member}`,
      ).toContain(member);
    }
    const outputs = [...source.matchAll(new RegExp(`${variable}\\.(\\w+)`, "g"))].map((m) => m[1]!);
    expect(outputs.length).toBeGreaterThan(0);
    for (const k of outputs) expect(Object.keys(resource().properties as Json).map(pyName), k).toContain(k);
  });
});
