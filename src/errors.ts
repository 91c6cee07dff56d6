/**
 * The error taxonomy, in one place. A `UserError` is something the user can fix (bad input, a
 * stale plan, a missing tool, a failed repair step): the CLI prints its message as one line and
 * exits 2, without a stack trace. Anything else is an internal error.
 */
export class UserError extends Error {
  override readonly name: string = "UserError";
}

/** Bad input: a file, option or document that cannot be used as given. */
export class InputError extends UserError {
  override readonly name: string = "InputError";
}

/** A configuration (rdp-guard.json or policy config) that fails the schema. */
export class ConfigError extends UserError {
  override readonly name: string = "ConfigError";
  constructor(message: string) {
    super(message);
    // The policy host prints `stack` verbatim: one clean line, no JS stack frame.
    this.stack = message;
  }
}

/** Hardening options the script could not apply safely. */
export class BaselineError extends UserError {
  override readonly name: string = "BaselineError";
}

/** A rendered script whose command would exceed cmd.exe's 8,191 characters (disable an option). */
export class CommandTooLongError extends BaselineError {
  override readonly name: string = "CommandTooLongError";
}

/** An offline-repair step that failed on one VM; the journal records where it stopped. */
export class RepairError extends UserError {
  override readonly name: string = "RepairError";
  constructor(
    readonly vm: string,
    readonly step: string,
    message: string,
  ) {
    super(`${vm}: step ${step}: ${message}`);
  }
}

/** True for errors the CLI reports as one line (exit 2). */
export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
