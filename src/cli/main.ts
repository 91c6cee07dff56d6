#!/usr/bin/env node
import { runCli } from "./program";

runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTty: Boolean(process.stdout.isTTY),
  stdin: process.stdin,
}).then((code) => {
  process.exitCode = code;
});
