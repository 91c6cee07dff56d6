import { Command, CommanderError } from "commander";
import { isUserError } from "../errors";
import { auditCommand } from "./audit";
import { planCommand } from "./plan";
import { remediateCommand } from "./remediate";
import { repairCommand, rollbackCommand } from "./repair";
import { CliIo, scanCommand } from "./scan";
import { packageVersion } from "../version";

/** Azure SDK and identity failures (auth, permissions, network) as one line naming the request. */
function azureError(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  if (e.name === "RestError") {
    const r = e as Error & { statusCode?: number; code?: string; request?: { method?: string; url?: string } };
    const where = r.request?.url ? ` on ${r.request.method ?? ""} ${r.request.url.split("?")[0]}` : "";
    return `Azure request failed${where} (${r.statusCode ?? "no response"} ${r.code ?? ""}): ${r.message.split("\n")[0]}`;
  }
  if (e.name === "CredentialUnavailableError" || e.name === "AuthenticationError" || e.name === "AggregateAuthenticationError") {
    return `no Azure credentials: ${e.message.split("\n")[0]} (sign in with 'az login', or set AZURE_ACCESS_TOKEN)`;
  }
  return undefined;
}

/** Runs the CLI; returns the exit code (0 clean, 1 findings, 2 usage or input error). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code = 0;
  const setExit = (c: number): void => {
    code = c;
  };
  const program = new Command("rdp-guard")
    .description("azure-rdp-guard: keep Azure Windows VMs reachable and safe over RDP")
    .version(packageVersion(), "-V, --version")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showSuggestionAfterError(true);
  for (const cmd of [scanCommand(io, setExit), auditCommand(io, setExit), planCommand(io, setExit), remediateCommand(io, setExit), repairCommand(io, setExit), rollbackCommand(io, setExit)]) {
    program.addCommand(cmd.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr }));
  }
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help" ? 0 : 2;
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
    io.stderr(`rdp-guard: internal error: ${err.message}${process.env.RDP_GUARD_DEBUG ? `\n${err.stack}` : " (set RDP_GUARD_DEBUG=1 for details)"}\n`);
    return 2;
  }
}
