import { ArmParameterValues, isArmTemplate, parseArm } from "./arm";
import { isAzExport, parseAz } from "./az";
import { JsonDocument } from "./json-source";
import { InputError } from "../errors";
import { isPulumiPreview, isPulumiStackExport, parsePulumiPreview, parsePulumiStackExport } from "./pulumi-json";
import { isTerraformJson, parseTerraform } from "./terraform";
import { FORMATS, FormatName, ParsedInput } from "./types";

const DETECTORS: readonly [FormatName, (v: unknown) => boolean][] = [
  ["pulumi-stack", isPulumiStackExport],
  ["pulumi-preview", isPulumiPreview],
  ["terraform", isTerraformJson],
  ["arm", isArmTemplate],
  ["az", isAzExport],
];

export function detectFormat(value: unknown): FormatName | undefined {
  return DETECTORS.find(([, test]) => test(value))?.[0];
}

export interface ParseOptions {
  /** Force a format instead of detecting it; then a file without recognizable resources is an error. */
  readonly format?: FormatName;
  readonly armParameters?: ArmParameterValues;
}

/**
 * Normalizes one document. Returns undefined for a file of no known shape when auto-detecting (a
 * directory scan skips such files, e.g. package.json); a forced format that does not fit is an error.
 */
export function parseDocument(doc: JsonDocument, opts: ParseOptions = {}): ParsedInput | undefined {
  const format = opts.format ?? detectFormat(doc.value);
  if (!format) return undefined;
  if (opts.format && !DETECTORS.find(([f]) => f === format)![1](doc.value)) {
    throw new InputError(`${doc.file}: no recognizable ${format} resources (expected ${describeFormat(format)})`);
  }
  try {
    switch (format) {
      case "arm":
        return parseArm(doc, opts.armParameters);
      case "az":
        return parseAz(doc);
      case "terraform":
        return parseTerraform(doc);
      case "pulumi-preview":
        return parsePulumiPreview(doc);
      case "pulumi-stack":
        return parsePulumiStackExport(doc);
    }
  } catch (e) {
    // Readers recurse into values (template expressions, Pulumi outputs); a hostile file can nest
    // deeper than the stack. Say which file and why instead of "internal error".
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new InputError(
        `${doc.file}: JSON nested ${maxDepth(doc.text).toLocaleString("en-US")} levels deep, ` +
          `too deep to read as ${format}`,
      );
    }
    throw e;
  }
}

/** Deepest nesting of objects and arrays in JSON text (strings skipped). */
function maxDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
    } else if (c === 123 || c === 91) max = Math.max(max, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}

export function describeFormat(f: FormatName): string {
  return {
    arm: 'an ARM template or compiled Bicep with a "resources" list',
    az: "`az network nsg list/show -o json` output",
    terraform: "`terraform show -json` output with planned_values or values",
    "pulumi-preview": '`pulumi preview --json` output with "steps"',
    "pulumi-stack": "`pulumi stack export` output with deployment.resources",
  }[f];
}

export { FORMATS };
