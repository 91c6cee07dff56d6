// Runs when `npm install` runs in this folder, which is what `pulumi package add` does for a source
// plugin (the nodejs language host's install step). The provider runs the repository's build with the
// repository's node_modules: a fresh clone (`pulumi package add <git URL>/components/provider`) gets
// them here, with `npm ci` at the root (its `prepare` script builds dist/). A checkout that already
// has both is left alone.
"use strict";
const { existsSync } = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const root = path.resolve(__dirname, "../..");
const built = existsSync(path.join(root, "dist/components/provider/main.js"));
// Resolved the way the provider will resolve it (node_modules of the root or of any folder above it).
let installed = true;
try {
  require.resolve("@pulumi/pulumi/package.json", { paths: [root] });
} catch {
  installed = false;
}
if (!built || !installed) {
  console.error(`azure-rdp-guard: installing and building the repository at ${root} (npm ci)`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], {
    cwd: root,
    stdio: "inherit",
    shell: process.platform === "win32",
  });
  if (r.status !== 0) {
    console.error(`azure-rdp-guard: npm ci failed in ${root}; run it there, then pulumi package add again`);
    process.exit(r.status ?? 1);
  }
}
