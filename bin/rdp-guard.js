#!/usr/bin/env node
// The rdp-guard command. Plain JavaScript that any Node version can parse, so that an old Node
// prints one line instead of a syntax error or a stack trace from the CLI it cannot run.
"use strict";
var major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  process.stderr.write("rdp-guard: Node.js 22 or later is needed (this is Node.js " + process.versions.node + ")\n");
  process.exit(2);
}
require("../dist/src/cli/main.js");
