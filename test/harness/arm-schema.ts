import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

/*
 * Request-body validation against the vendored Azure OpenAPI (swagger 2.0) definitions in specs/ (see
 * specs/SOURCE.md). Swagger 2.0 schemas are a JSON Schema draft-4 subset, so ajv validates them once the
 * swagger-only parts are handled: x-ms-* and description are dropped, and a readOnly property (or a
 * readOnly definition such as DiskState) becomes `false` in a request, as the REST API guidelines say
 * ("readOnly properties ... MUST be ignored or rejected when sent by the client";
 * https://github.com/microsoft/api-guidelines/blob/vNext/azure/ConsiderationsForServiceDesign.md) and as
 * Azure's own validator oav reports it (READONLY_PROPERTY_NOT_ALLOWED_IN_REQUEST). $ref paths between
 * files stay as in the source, resolved against each file's $id.
 */

/** The specs folder beside this file, also when it runs compiled from dist/ (bench). */
const SPECS =
  [path.join(__dirname, "specs"), path.resolve(__dirname, "../../../test/harness/specs")].find((d) => existsSync(d)) ??
  path.join(__dirname, "specs");
const BASE = "https://specs.rdp-guard.test/";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function toRequestSchema(node: Json): Json {
  if (Array.isArray(node)) return node.map(toRequestSchema);
  if (node === null || typeof node !== "object") return node;
  if (node.readOnly === true) return false;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) {
    if (k.startsWith("x-ms-") || k === "description" || k === "format") continue;
    if (k === "properties" && v && typeof v === "object" && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, toRequestSchema(s)]));
    } else out[k] = toRequestSchema(v);
  }
  return out;
}

function specFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? specFiles(p) : f.endsWith(".json") ? [p] : [];
  });
}

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ strict: false, allErrors: false });
  for (const file of specFiles(SPECS)) {
    const doc = JSON.parse(readFileSync(file, "utf8")) as { definitions: Json };
    const id = BASE + path.relative(SPECS, file).split(path.sep).join("/");
    ajv.addSchema({ $id: id, definitions: toRequestSchema(doc.definitions) } as object);
  }
  return ajv;
}

/** The request schemas the fake enforces, by operation. */
export const REQUEST_SCHEMAS = {
  virtualMachinePut: "compute/ComputeRP/stable/2024-11-01/virtualMachine.json#/definitions/VirtualMachine",
  virtualMachinePatch: "compute/ComputeRP/stable/2024-11-01/virtualMachine.json#/definitions/VirtualMachineUpdate",
  extensionPut: "compute/ComputeRP/stable/2024-11-01/virtualMachine.json#/definitions/VirtualMachineExtension",
  diskPut: "compute/DiskRP/stable/2024-03-02/disk.json#/definitions/Disk",
  snapshotPut: "compute/DiskRP/stable/2024-03-02/snapshot.json#/definitions/Snapshot",
  graphQuery: "resourcegraph/stable/2024-04-01/resourcegraph.json#/definitions/QueryRequest",
} as const;

function describe(e: ErrorObject): string {
  const at = e.instancePath.replace(/^\//, "").replace(/\//g, ".") || "(body)";
  if (e.keyword === "false schema") return `${at}: is read-only and must not be sent`;
  if (e.keyword === "enum")
    return `${at}: ${e.message} (${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")})`;
  return `${at}: ${e.message}`;
}

/** undefined when the body matches the definition; otherwise the first violation, ARM-style. */
export function validateRequest(schema: keyof typeof REQUEST_SCHEMAS, body: unknown): string | undefined {
  let v = compiled.get(schema);
  if (!v) {
    const ref = BASE + REQUEST_SCHEMAS[schema];
    v = instance().getSchema(ref);
    if (!v) throw new Error(`no schema ${ref}`);
    compiled.set(schema, v);
  }
  if (v(body)) return undefined;
  return (v.errors ?? []).map(describe)[0] ?? "invalid request body";
}
