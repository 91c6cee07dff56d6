import { deflateRawSync, inflateRawSync } from "node:zlib";
import { CommandTooLongError } from "../errors";

/**
 * Packs a script into `powershell ... -EncodedCommand <base64 UTF-16LE>` that fits cmd.exe's
 * 8,191-character command line.
 *
 * -EncodedCommand costs 8/3 characters per UTF-16 character, so an inner base64 payload would cost
 * 3.6 characters per compressed byte. Instead the deflated script is packed 15 bits per character
 * into the CJK range U+4E00..U+CDFF (no quote, surrogate or control characters, so it is a plain
 * single-quoted PowerShell string): 1.42 characters per compressed byte. A short bootstrap unpacks
 * the bits, inflates with .NET's DeflateStream (PowerShell 5.1 has it) and runs the script.
 */

/** -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand, as short as powershell.exe 5.1 and pwsh take. */
export const COMMAND_PREFIX = "powershell -NoP -NonI -EP Bypass -Enc ";
/** cmd.exe's command-line limit; the CustomScript extension runs commandToExecute through it. */
export const CMD_LINE_LIMIT = 8191;

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

/** The PowerShell that unpacks and runs the payload (the mirror of `packBits`). */
export function bootstrap(packed: string, length: number): string {
  return (
    `$p='${packed}';$b=New-Object byte[] ${length};$a=$n=$i=0;` +
    `foreach($c in [int[]][char[]]$p){$a=($a -shl 15) -bor ($c-${BASE});$n+=15;` +
    `while($n -ge 8 -and $i -lt ${length}){$n-=8;$b[$i++]=($a -shr $n) -band 255};$a=$a -band ((1 -shl $n)-1)};` +
    // DeflateStream(Stream, 0) is ambiguous between the CompressionMode and CompressionLevel overloads
    // ("Multiple ambiguous overloads"), so the mode is typed.
    "iex (New-Object IO.StreamReader((New-Object IO.Compression.DeflateStream((New-Object IO.MemoryStream(,$b))," +
    "[IO.Compression.CompressionMode]::Decompress)))).ReadToEnd()"
  );
}

/**
 * The `commandToExecute` that runs `script`. Throws {@link CommandTooLongError} when it exceeds
 * cmd.exe's 8,191 characters: the extension would fail on the VM with a truncated command.
 */
export function encodeHardeningCommand(script: string, what = "the hardening script"): string {
  const deflated = deflateRawSync(Buffer.from(script, "utf8"), { level: 9 });
  const inner = bootstrap(packBits(deflated), deflated.length);
  const command = COMMAND_PREFIX + Buffer.from(inner, "utf16le").toString("base64");
  if (command.length > CMD_LINE_LIMIT) {
    throw new CommandTooLongError(
      `${what} encodes to a ${command.length}-character command, over cmd.exe's ${CMD_LINE_LIMIT}-character limit ` +
        `(${Buffer.byteLength(script)} bytes of script, ${deflated.length} compressed); ` +
        "disable an option or shorten the script",
    );
  }
  return command;
}

/** Recovers the original script from a command built by `encodeHardeningCommand`. */
export function decodeHardeningCommand(commandToExecute: string): string {
  const m = /\s-Enc(?:odedCommand)?\s+([A-Za-z0-9+/=]+)\s*$/.exec(commandToExecute);
  if (!m) throw new Error("not an azure-rdp-guard command: no -EncodedCommand argument");
  const inner = Buffer.from(m[1]!, "base64").toString("utf16le");
  const payload = /^\$p='([^']*)';\$b=New-Object byte\[\] (\d+);/.exec(inner);
  if (!payload) throw new Error("not an azure-rdp-guard command: unexpected bootstrap");
  return inflateRawSync(unpackBits(payload[1]!, Number(payload[2]))).toString("utf8");
}
