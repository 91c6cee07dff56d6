import { CLOUDS, CloudName } from "../azure/clouds";
import { InputError } from "../errors";
import { FORMATS } from "../formats/types";

/**
 * Every CLI option, declared once (eslint's `lib/options.js`): its flags, help text, default and the
 * one parser that validates it for every command that takes it. A bad value throws an InputError
 * `--flag: 'value' <problem>`, which the CLI prints as one line and exits 2. Commands list the keys
 * they take in `program.ts`; to add an option, add an entry here and its key there.
 */
export interface OptionSpec<T = unknown> {
  /** Commander flags, e.g. `--max-age-hours <hours>`; the value lands under the camelCase long name. */
  readonly flags: string;
  readonly description: string;
  /** Validates one raw value (for a repeatable option, `previous` holds the values so far). */
  readonly parse?: (raw: string, previous: T) => T;
  readonly default?: T;
  /** Allowed values, shown in help; `parse` enforces them. */
  readonly choices?: readonly string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry keeps its own literal type
const option = <const S extends OptionSpec<any>>(spec: S): S => spec;

function fail(flag: string, raw: string, problem: string): never {
  throw new InputError(`${flag}: '${raw}' ${problem}`);
}

/** One of `values` (exact match, as shell completion and scripts expect). */
export function choice<T extends string>(flag: string, values: readonly T[]): (raw: string) => T {
  return (raw) => (values.includes(raw as T) ? (raw as T) : fail(flag, raw, `must be one of ${values.join(", ")}`));
}

/** A whole number in [min, max]; `abc`, `1.5`, `1e3`, `-1` and blanks are rejected rather than read as NaN. */
export function wholeNumber(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      fail(flag, raw, max === Number.MAX_SAFE_INTEGER ? `is not a whole number >= ${min}` : `must be ${min}-${max}`);
    }
    return n;
  };
}

/** A positive decimal number of hours (`24`, `0.5`); `abc`, `NaN`, `Infinity`, `0` and negatives are rejected. */
export function hours(flag: string): (raw: string) => number {
  return (raw) => {
    const n = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!Number.isFinite(n) || n <= 0) fail(flag, raw, "is not a positive number of hours");
    return n;
  };
}

/** Comma-separated TCP/UDP ports (1-65535). */
export function portList(flag: string): (raw: string) => number[] {
  return (raw) =>
    raw.split(",").map((p) => {
      const t = p.trim();
      const n = /^\d+$/.test(t) ? Number(t) : NaN;
      return n >= 1 && n <= 65535 ? n : fail(flag, t, "is not a port (1-65535)");
    });
}

/** A non-blank string matching `pattern` (`what` names the expected shape in the error). */
export function text(flag: string, pattern: RegExp = /\S/, what = "must not be blank"): (raw: string) => string {
  return (raw) => (pattern.test(raw) ? raw : fail(flag, raw, what));
}

/** A repeatable option: each value is checked by `one` and appended. */
export function repeatable<T>(one: (raw: string) => T): (raw: string, previous: T[]) => T[] {
  return (raw, previous) => [...previous, one(raw)];
}

const CLOUD_NAMES = Object.keys(CLOUDS) as CloudName[];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const OPTIONS = {
  // Reports and gating (scan, audit)
  format: option({
    flags: "--format <format>",
    description: "report format",
    choices: ["text", "json", "sarif"],
    parse: choice("--format", ["text", "json", "sarif"] as const),
    default: "text",
  }),
  output: option({
    flags: "--output <file>",
    description: "write the report to a file instead of standard output",
    parse: text("--output"),
  }),
  failOn: option({
    flags: "--fail-on <level>",
    description: "exit 1 when a finding at or above this severity exists",
    choices: ["error", "warning", "never"],
    parse: choice("--fail-on", ["error", "warning", "never"] as const),
    default: "error",
  }),
  config: option({
    flags: "--config <file>",
    description: "JSON config file (same schema as the policy pack config)",
    parse: text("--config"),
  }),
  color: option({ flags: "--no-color", description: "never colour text output" }),

  // Engine settings (scan)
  rdpPorts: option({
    flags: "--rdp-ports <ports>",
    description: "comma-separated RDP ports (default 3389)",
    parse: portList("--rdp-ports"),
  }),
  trustedPrefix: option({
    flags: "--trusted-prefix <prefix>",
    description: "CIDR, address or service tag always allowed to reach RDP (repeatable)",
    parse: repeatable(text("--trusted-prefix")),
    default: [],
  }),
  maxPublicAddresses: option({
    flags: "--max-public-addresses <n>",
    description: "public source addresses an NSG may admit before it counts as exposure (default 256)",
    parse: wholeNumber("--max-public-addresses", 0),
  }),
  parameters: option({
    flags: "--parameters <file>",
    description: "ARM parameters file used to resolve [parameters('...')] expressions",
    parse: text("--parameters"),
  }),
  inputFormat: option({
    flags: "--input-format <format>",
    description: "force the input format instead of detecting it",
    choices: ["auto", ...FORMATS],
    parse: choice("--input-format", ["auto", ...FORMATS] as const),
    default: "auto",
  }),
  maxFileSize: option({
    flags: "--max-file-size <bytes>",
    description: "largest input file accepted",
    parse: wholeNumber("--max-file-size", 1),
    default: 512 * 1024 * 1024,
  }),

  // Azure (audit, plan, repair, rollback)
  subscription: option({
    flags: "--subscription <id>",
    description: "subscription to read (repeatable)",
    parse: repeatable(text("--subscription", GUID, "is not a subscription id (GUID)")),
    default: [],
  }),
  managementGroup: option({
    flags: "--management-group <id>",
    description: "management group to read through Resource Graph (repeatable)",
    parse: repeatable(text("--management-group")),
    default: [],
  }),
  resourceGroup: option({
    flags: "--resource-group <name>",
    description: "only VMs in this resource group (repeatable)",
    parse: repeatable(text("--resource-group")),
    default: [],
  }),
  tag: option({
    flags: "--tag <key=value>",
    description: "only VMs with this tag (repeatable, all must match)",
    parse: repeatable(text("--tag", /^[^=]+=/, "must be key=value")),
    default: [],
  }),
  cloud: option({
    flags: "--cloud <name>",
    description: "Azure cloud (default: from --arm-endpoint, else AzurePublicCloud)",
    choices: CLOUD_NAMES,
    parse: choice("--cloud", CLOUD_NAMES),
  }),
  armEndpoint: option({
    flags: "--arm-endpoint <url>",
    description:
      "Azure Resource Manager endpoint (a proxy; implies the cloud when it is a cloud's own). " +
      "Azure Stack Hub has no Resource Graph and is not supported",
    parse: text("--arm-endpoint", /^https:\/\/\S+$/i, "must be an https:// URL"),
  }),
  caFile: option({
    flags: "--ca-file <pem>",
    description: "extra CA certificates to trust (PEM)",
    parse: text("--ca-file"),
  }),
  extensionName: option({
    flags: "--extension-name <name>",
    description: "name of the hardening CustomScript extension",
    // The name is the last segment of the extension's resource id, so it cannot hold a slash.
    parse: text("--extension-name", /^[^/\\\s][^/\\]*$/, "is not an extension name"),
    default: "azure-rdp-guard",
  }),
  concurrency: option({
    flags: "--concurrency <n>",
    description: "instance-view requests in flight",
    parse: wholeNumber("--concurrency", 1, 64),
    default: 16,
  }),

  // Fleet documents (plan, remediate, repair, rollback)
  auditFile: option({
    flags: "--audit-file <file>",
    description: "audit JSON written by `rdp-guard audit --format json`",
    parse: text("--audit-file"),
  }),
  plan: option({ flags: "--plan <file>", description: "plan JSON written by `rdp-guard plan`", parse: text("--plan") }),
  vm: option({
    flags: "--vm <name|id>",
    description: "only plan for this VM (repeatable)",
    parse: repeatable(text("--vm")),
    default: [],
  }),
  maxAgeHours: option({
    flags: "--max-age-hours <hours>",
    description: "reject documents older than this",
    parse: hours("--max-age-hours"),
    default: 24,
  }),
  remove: option({
    flags: "--remove <id>",
    description: "VM or NSG id whose earlier fix leaves the desired state on purpose (repeatable)",
    parse: repeatable(text("--remove")),
    default: [],
  }),
  journal: option({ flags: "--journal <file>", description: "repair journal", parse: text("--journal") }),
  dryRun: option({
    flags: "--dry-run",
    description: "show what would change, change nothing",
    default: false,
  }),
  yes: option({ flags: "--yes", description: "confirm a change that deallocates VMs", default: false }),
  stack: option({
    flags: "--stack <name>",
    description: "Pulumi stack of the remediation program",
    parse: text("--stack", /^[A-Za-z0-9_.\-/]+$/, "is not a Pulumi stack name"),
    default: "rdp-guard-remediation",
  }),
  rescueVmSize: option({
    flags: "--rescue-vm-size <size>",
    description: "size of the rescue VMs",
    parse: text("--rescue-vm-size", /^[A-Za-z0-9_]+$/, "is not a VM size (e.g. Standard_D2s_v5)"),
    default: "Standard_D2s_v5",
  }),
};

export type OptionKey = keyof typeof OPTIONS;

/** The value commander stores for an option: its parser's result, or a boolean for a flag. */
type ValueOf<S> = S extends { parse: (raw: string, previous: never) => infer T } ? T : boolean;

/**
 * The parsed options of a command taking `K`, of which `R` are required: options with a default or
 * marked required always have a value, the rest may be undefined. Commands type their options with
 * this, so a command cannot read an option it does not declare.
 */
export type OptionValues<K extends OptionKey, R extends OptionKey = never> = {
  -readonly [P in K]: (typeof OPTIONS)[P] extends { default: unknown }
    ? ValueOf<(typeof OPTIONS)[P]>
    : P extends R
      ? ValueOf<(typeof OPTIONS)[P]>
      : ValueOf<(typeof OPTIONS)[P]> | undefined;
};
