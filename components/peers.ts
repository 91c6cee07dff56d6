import { UserError } from "../src/errors";

/**
 * The Pulumi packages are optional peer dependencies (a scan-only install skips ~220 MB), so the component entry
 * says in one line which one is missing instead of Node's "Cannot find module" with a require stack.
 */
export function assertPulumiPeers(entry: string, peers: readonly string[]): void {
  const missing = peers.filter((p) => {
    try {
      require.resolve(p);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  const error = new UserError(
    `${entry} needs the peer dependenc${missing.length > 1 ? "ies" : "y"} ${missing.join(", ")}: ` +
      `npm install ${missing.map((m) => m.replace(/\/compute$/, "")).join(" ")}`,
  );
  // Thrown while a user's program loads: the message alone is the useful part, not our require chain.
  error.stack = `${error.name}: ${error.message}`;
  throw error;
}
