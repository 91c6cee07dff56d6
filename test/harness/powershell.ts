import * as path from "node:path";
import { Language, Node, Parser } from "web-tree-sitter";

/*
 * The tree-sitter PowerShell grammar (wasm, run by web-tree-sitter) for structural checks of the
 * hardening script: which commands run and whether each mutating one is guarded by enforce mode.
 * Syntax itself is checked by PowerShell's own parser (parsePowerShell in ./pwsh.ts).
 */
let parser: Parser | undefined;

export async function powershellParser(): Promise<Parser> {
  if (parser) return parser;
  await Parser.init();
  const wasm = path.join(
    path.dirname(require.resolve("tree-sitter-powershell/package.json")),
    "tree-sitter-powershell.wasm",
  );
  const language = await Language.load(wasm);
  parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** Commands that change the machine; in audit mode none of them may be reachable. */
const MUTATING =
  /^(New-ItemProperty|Set-ItemProperty|Remove-Item|Remove-ItemProperty|Set-NetFirewallRule|Restart-Service|Stop-Service|Start-Service|Export-PfxCertificate|Export-Certificate|Initialize-Backup|Backup-Key|takeown\.exe|netsh\.exe|shutdown\.exe|New-Item)$/i;
/** Helpers whose bodies mutate; their call sites are what must be guarded. */
const MUTATING_HELPERS = new Set(["initialize-backup", "backup-key"]);

function commandName(n: Node): string | undefined {
  const name = n.childForFieldName("command_name");
  return name?.text.replace(/^['"]|['"]$/g, "");
}

function isMutating(n: Node): boolean {
  const name = commandName(n);
  if (!name) return false;
  const text = n.text;
  if (/^icacls\.exe$/i.test(name)) return /\/grant|\/save|\/reset|\/restore/i.test(text);
  if (/^bcdedit\.exe$/i.test(name)) return !/\/enum/i.test(text);
  if (/^New-Item$/i.test(name)) return !/\$Root\b/.test(text);
  return MUTATING.test(name);
}

const ENFORCE = /\$Mode\s+-eq\s+'enforce'/;
const NOT_ENFORCE = /\$Mode\s+-ne\s+'enforce'/;

/**
 * True when `n` only runs in enforce mode: inside an `if ($Mode -eq 'enforce')`, an else after
 * `$Mode -ne 'enforce'`, or after an early `if ($Mode -ne 'enforce') { ...; return/continue }`.
 */
function guarded(n: Node): boolean {
  let child: Node = n;
  for (let a = n.parent; a; child = a, a = a.parent) {
    if (
      a.type === "function_statement" &&
      MUTATING_HELPERS.has((a.namedChildren.find((c) => c?.type === "function_name")?.text ?? "").toLowerCase())
    )
      return true;
    if (
      a.type === "statement_block" &&
      a.parent?.type === "if_statement" &&
      ENFORCE.test(a.parent.childForFieldName("condition")?.text ?? "")
    )
      return true;
    if (
      a.type === "statement_block" &&
      a.parent?.type === "elseif_clause" &&
      ENFORCE.test(a.parent.childForFieldName("condition")?.text ?? "")
    )
      return true;
    if (a.type === "else_clause") {
      const ifs = a.parent!;
      const conds = [
        ifs.childForFieldName("condition")?.text ?? "",
        ...ifs
          .descendantsOfType("elseif_clause")
          .filter((e) => e?.parent?.parent?.id === ifs.id)
          .map((e) => e!.childForFieldName("condition")?.text ?? ""),
      ];
      if (conds.some((c) => NOT_ENFORCE.test(c))) return true;
    }
    if (a.type === "statement_list") {
      for (const s of a.namedChildren) {
        if (!s || s.startIndex >= child.startIndex) break;
        if (
          s.type === "if_statement" &&
          NOT_ENFORCE.test(s.childForFieldName("condition")?.text ?? "") &&
          s.descendantsOfType("flow_control_statement").length > 0
        )
          return true;
      }
    }
  }
  return false;
}

/** Mutating commands reachable when $Mode is not 'enforce' (must be empty for the hardening script). */
export async function unguardedMutations(script: string): Promise<string[]> {
  const tree = (await powershellParser()).parse(script)!;
  const out = tree.rootNode
    .descendantsOfType("command")
    .filter((c): c is Node => !!c && isMutating(c) && !guarded(c))
    .map((c) => `${c.startPosition.row + 1}: ${c.text.slice(0, 100)}`);
  tree.delete();
  return out;
}

/** Every command the script runs, by name (lower case), e.g. to prove a step is rendered. */
export async function commandNames(script: string): Promise<Set<string>> {
  const tree = (await powershellParser()).parse(script)!;
  const out = new Set(
    tree.rootNode
      .descendantsOfType("command")
      .map((c) => (c ? commandName(c)?.toLowerCase() : undefined))
      .filter((x): x is string => !!x),
  );
  tree.delete();
  return out;
}
