import { Command, CommanderError, Option } from "commander";
import { isUserError } from "../errors";
import { CliIo, CommandContext } from "./io";
import { OPTIONS, OptionKey, OptionSpec, OptionValues } from "./options";
import { packageVersion } from "../version";

/** An option a command takes: its key in OPTIONS, or the key with command-specific help. */
type OptionUse<K extends OptionKey> = K | { readonly key: K; readonly description: string };

interface CommandSpec<K extends OptionKey = OptionKey, R extends K = K, A = unknown> {
  readonly name: string;
  readonly description: string;
  readonly argument?: { readonly name: string; readonly description: string };
  readonly options: readonly OptionUse<K>[];
  readonly required?: readonly R[];
  /** The command body, loaded only when the command runs (changesets' lazy `commands/<cmd>`). */
  readonly run: (opts: OptionValues<K, R>, ctx: CommandContext, arg: A) => Promise<number>;
}

/** Types `run`'s options from the declared keys, so a body cannot read an option its command lacks. */
function command<K extends OptionKey, R extends K = never, A = undefined>(spec: CommandSpec<K, R, A>): CommandSpec {
  return spec as unknown as CommandSpec;
}

const AZURE = [
  "subscription",
  "managementGroup",
  "resourceGroup",
  "tag",
  "cloud",
  "armEndpoint",
  "caFile",
  "extensionName",
  "concurrency",
] as const;
const CONNECTION = ["cloud", "armEndpoint", "caFile"] as const;

/**
 * Every command and the options it takes, in one place (changesets' `cli.ts`). Bodies live in
 * `src/cli/<command>.ts`, take their parsed options and return the exit code; they never import
 * each other. To add a command, add an entry here; to add an option, add it to OPTIONS and list it.
 */
export const COMMANDS: readonly CommandSpec[] = [
  command({
    name: "scan",
    description:
      "Check IaC outputs and exports (ARM/Bicep, pulumi preview --json, pulumi stack export, az nsg JSON, " +
      "terraform show -json) for RDP exposed to the Internet",
    argument: { name: "<paths...>", description: "files, directories (searched for *.json) or - for standard input" },
    options: [
      "format",
      "output",
      "rdpPorts",
      "trustedPrefix",
      "maxPublicAddresses",
      "config",
      "failOn",
      "parameters",
      "inputFormat",
      "maxFileSize",
      "color",
    ],
    run: async (opts, ctx, paths: string[]) => (await import("./scan")).runScan(paths, opts, ctx.io),
  }),
  command({
    name: "audit",
    description: "Audit live Windows VMs: RDP exposure (NIC + subnet NSGs), hardening drift, agent state",
    options: [
      "format",
      { key: "output", description: "write the report to a file (json: the audit file `rdp-guard plan` reads)" },
      "config",
      "failOn",
      ...AZURE,
    ],
    run: async (opts, ctx) => (await import("./audit")).runAudit(opts, ctx),
  }),
  command({
    name: "plan",
    description: "Turn an audit (live, or --audit-file) into an explicit remediation plan; changes nothing",
    options: [
      "auditFile",
      { key: "output", description: "write the plan JSON here (default: standard output)" },
      "vm",
      { key: "maxAgeHours", description: "reject audits older than this" },
      { key: "config", description: "JSON config file (for a live audit)" },
      ...AZURE,
    ],
    run: async (opts, ctx) => (await import("./plan")).runPlan(opts, ctx),
  }),
  command({
    name: "remediate",
    description:
      "Add a plan's online repairs to the remediation stack's cumulative desired state and apply it with " +
      "`pulumi up` (Automation API); earlier fixes stay until --remove names them; --dry-run runs a preview",
    options: [
      "plan",
      "remove",
      { key: "dryRun", description: "preview only" },
      "stack",
      { key: "extensionName", description: "name of the hardening CustomScript extension (as in audit)" },
      { key: "maxAgeHours", description: "reject plans older than this" },
    ],
    run: async (opts, ctx) => (await import("./remediate")).runRemediate(opts, ctx),
  }),
  command({
    name: "repair",
    description:
      "Repair unreachable VMs offline (snapshot, rescue VM, hive fix, disk swap) as a resumable, journaled " +
      "workflow",
    options: [
      { key: "plan", description: "plan JSON written by `rdp-guard plan` (VMs marked offline-repair)" },
      {
        key: "journal",
        description: "journal file (default rdp-guard-repair-<plan id>.json); an interrupted run resumes from it",
      },
      { key: "dryRun", description: "show the steps, change nothing" },
      { key: "yes", description: "confirm: this deallocates VMs and swaps their OS disks" },
      "rescueVmSize",
      ...CONNECTION,
      { key: "extensionName", description: "name of the hardening CustomScript extension the verify step reads" },
      { key: "maxAgeHours", description: "reject plans older than this" },
    ],
    required: ["plan"],
    run: async (opts, ctx) => (await import("./repair")).runRepair(opts, ctx),
  }),
  command({
    name: "rollback",
    description: "Swap a repaired VM's original OS disk back (from the repair journal); deletes nothing",
    argument: { name: "<vm>", description: "VM name or id" },
    options: ["journal", { key: "yes", description: "confirm: this deallocates the VM" }, ...CONNECTION],
    required: ["journal"],
    run: async (opts, ctx, vm: string) => (await import("./repair")).runRollback(vm, opts, ctx),
  }),
];

function commanderOption(use: OptionUse<OptionKey>, required: readonly OptionKey[]): Option {
  const u = typeof use === "string" ? { key: use, description: undefined } : use;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander stores whatever the parser returns
  const spec: OptionSpec<any> = OPTIONS[u.key];
  const o = new Option(spec.flags, u.description ?? spec.description);
  if (spec.choices) o.choices(spec.choices);
  // After choices(): our parser replaces commander's, so every bad value fails the same way.
  if (spec.parse) o.argParser(spec.parse);
  if (spec.default !== undefined) o.default(spec.default);
  if (required.includes(u.key)) o.makeOptionMandatory(true);
  return o;
}

/** The commander program for COMMANDS; each action stores the exit code it returns in `setExit`. */
export function buildProgram(ctx: CommandContext, setExit: (code: number) => void): Command {
  const output = {
    writeOut: ctx.io.stdout,
    writeErr: ctx.io.stderr,
    // Commander's own usage errors read like ours: one line, `rdp-guard: ...`.
    outputError: (s: string, write: (s: string) => void) => write(`rdp-guard: ${s.replace(/^error: /, "")}`),
  };
  const program = new Command("rdp-guard")
    .description("azure-rdp-guard: keep Azure Windows VMs reachable and safe over RDP")
    .version(packageVersion(), "-V, --version")
    .exitOverride()
    .configureOutput(output)
    .showSuggestionAfterError(true);
  for (const spec of COMMANDS) {
    const cmd = new Command(spec.name).description(spec.description).exitOverride().configureOutput(output);
    if (spec.argument) cmd.argument(spec.argument.name, spec.argument.description);
    for (const use of spec.options) cmd.addOption(commanderOption(use, spec.required ?? []));
    const run = spec.run as (opts: unknown, ctx: CommandContext, arg: unknown) => Promise<number>;
    cmd.action(async (...args: unknown[]) => {
      // commander passes the argument (when declared), the options, then the command.
      const [arg, opts] = spec.argument ? [args[0], args[1]] : [undefined, args[0]];
      setExit(await run(opts, ctx, arg));
    });
    program.addCommand(cmd);
  }
  return program;
}

/** Azure SDK and identity failures (auth, permissions, network) as one line naming the request. */
function azureError(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  if (e.name === "RestError") {
    const r = e as Error & { statusCode?: number; code?: string; request?: { method?: string; url?: string } };
    const where = r.request?.url ? ` on ${r.request.method ?? ""} ${r.request.url.split("?")[0]}` : "";
    const status = `${r.statusCode ?? "no response"} ${r.code ?? ""}`;
    return `Azure request failed${where} (${status}): ${r.message.split("\n")[0]}`;
  }
  if (["CredentialUnavailableError", "AuthenticationError", "AggregateAuthenticationError"].includes(e.name)) {
    return `no Azure credentials: ${e.message.split("\n")[0]} (sign in with 'az login', or set AZURE_ACCESS_TOKEN)`;
  }
  return undefined;
}

/** Runs the CLI; returns the exit code (0 clean, 1 findings, 2 usage or input error). */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let code = 0;
  const program = buildProgram({ io, env }, (c) => {
    code = c;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return ["commander.helpDisplayed", "commander.version", "commander.help"].includes(e.code) ? 0 : 2;
    }
    if (isUserError(e)) {
      io.stderr(`rdp-guard: ${e.message}\n`);
      return 2;
    }
    const rest = azureError(e);
    if (rest) {
      io.stderr(`rdp-guard: ${rest}\n`);
      return 2;
    }
    const err = e as Error;
    const detail = env.RDP_GUARD_DEBUG ? `\n${err.stack}` : " (set RDP_GUARD_DEBUG=1 for details)";
    io.stderr(`rdp-guard: internal error: ${err.message}${detail}\n`);
    return 2;
  }
}
