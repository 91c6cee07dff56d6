import { deflateRawSync, inflateRawSync } from "node:zlib";
import { CommandTooLongError } from "../errors";

/**
 * Packs a script into the `commandToExecute` of the CustomScript extension. The extension runs that
 * command through cmd.exe, whose command line is limited to 8,191 characters: that limit, not the
 * extension's, is the one the script must fit.
 *
 * The command is `powershell -NoP -NonI -EP Bypass -C "<bootstrap>"`: the bootstrap inflates a raw
 * deflate stream given as base64 in a single-quoted string with .NET's DeflateStream (PowerShell 5.1
 * has it) and runs the text with `iex`. Plain ASCII, no `"` inside, so cmd.exe passes it as it is.
 * Why `-Command` and not `-EncodedCommand`: -Enc takes base64 of UTF-16LE text, 8/3 characters per
 * character, so the payload had to be packed 15 bits per CJK character (1.42 command characters per
 * compressed byte) and the unpacking loop cost ~1,050 characters once encoded. With -C the payload is
 * plain base64 (1.33 characters per compressed byte) and the whole bootstrap costs ~220 characters:
 * about 1,200 characters shorter for the largest option set.
 */

/** -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command, as short as powershell.exe 5.1 and pwsh take. */
export const COMMAND_PREFIX = 'powershell -NoP -NonI -EP Bypass -C "';
/** cmd.exe's command-line limit; the CustomScript extension runs commandToExecute through it. */
export const CMD_LINE_LIMIT = 8191;

/**
 * The PowerShell that inflates and runs the payload. DeflateStream(Stream, 0) would be ambiguous
 * between the CompressionMode and CompressionLevel overloads ("Multiple ambiguous overloads"), so the
 * mode is typed; the byte[] becomes a MemoryStream by PowerShell's constructor conversion.
 */
export function bootstrap(base64: string): string {
  return (
    "iex(New-Object IO.StreamReader(New-Object IO.Compression.DeflateStream(" +
    `[IO.MemoryStream][Convert]::FromBase64String('${base64}'),` +
    "[IO.Compression.CompressionMode]::Decompress))).ReadToEnd()"
  );
}

/*
 * The earlier -EncodedCommand form (15-bit CJK packing), kept so that commands already in a stack's
 * state still decode.
 */
const BASE = 0x4e00;

export function packBits(bytes: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    if (bits >= 15) {
      bits -= 15;
      out += String.fromCharCode(BASE + ((acc >>> bits) & 0x7fff));
      acc &= (1 << bits) - 1;
    }
  }
  if (bits > 0) out += String.fromCharCode(BASE + ((acc << (15 - bits)) & 0x7fff));
  return out;
}

export function unpackBits(packed: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let acc = 0;
  let bits = 0;
  let i = 0;
  for (let k = 0; k < packed.length && i < length; k++) {
    const v = packed.charCodeAt(k) - BASE;
    if (v < 0 || v > 0x7fff) throw new Error(`packed payload has a character outside the packing range at ${k}`);
    acc = (acc << 15) | v;
    bits += 15;
    while (bits >= 8 && i < length) {
      bits -= 8;
      out[i++] = (acc >>> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (i !== length) throw new Error(`packed payload is truncated: ${i} of ${length} bytes`);
  return out;
}

/**
 * The `commandToExecute` that runs `script`. Throws {@link CommandTooLongError} when it exceeds
 * cmd.exe's 8,191 characters: the extension would fail on the VM with a truncated command.
 */
export function encodeHardeningCommand(script: string, what = "the hardening script"): string {
  const deflated = deflateRawSync(Buffer.from(script, "utf8"), { level: 9 });
  const command = `${COMMAND_PREFIX}${bootstrap(deflated.toString("base64"))}"`;
  if (command.length > CMD_LINE_LIMIT) {
    throw new CommandTooLongError(
      `${what} encodes to a ${command.length}-character command, over cmd.exe's ${CMD_LINE_LIMIT}-character limit ` +
        `(${Buffer.byteLength(script)} bytes of script, ${deflated.length} compressed); ` +
        "disable an option or shorten the script",
    );
  }
  return command;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** The current command with the payload as its only capture group, built from the encoder's own parts. */
const [BEFORE, AFTER] = `${COMMAND_PREFIX}${bootstrap("\0")}"`.split("\0").map(escapeRegExp);
const CURRENT = new RegExp(`^${BEFORE}([A-Za-z0-9+/=]*)${AFTER}$`);

/**
 * Recovers the original script from a command built by `encodeHardeningCommand`, in its current
 * `-Command` form or the earlier `-EncodedCommand` one.
 */
export function decodeHardeningCommand(commandToExecute: string): string {
  const current = CURRENT.exec(commandToExecute);
  if (current) return inflateRawSync(Buffer.from(current[1]!, "base64")).toString("utf8");
  const m = /\s-Enc(?:odedCommand)?\s+([A-Za-z0-9+/=]+)\s*$/.exec(commandToExecute);
  if (!m) {
    const what = /\s-C(?:ommand)?\s/.test(commandToExecute)
      ? "unexpected bootstrap"
      : "no -Command bootstrap or -EncodedCommand argument";
    throw new Error(`not an azure-rdp-guard command: ${what}`);
  }
  const inner = Buffer.from(m[1]!, "base64").toString("utf16le");
  const payload = /^\$p='([^']*)';\$b=New-Object byte\[\] (\d+);/.exec(inner);
  if (!payload) throw new Error("not an azure-rdp-guard command: unexpected bootstrap");
  return inflateRawSync(unpackBits(payload[1]!, Number(payload[2]))).toString("utf8");
}
