import { SpawnSyncReturns, execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyPackProcess, nativeNsg, rdpRule } from "../harness/analyzer";
import { ROOT } from "../helpers/files";

/*
 * The package the way a user gets it: `npm pack`, then real installs from the registry into empty
 * directories outside the repository (one shared npm cache), with no devDependencies and no access
 * to ../src. Measurements (tarball, installed size, install and require times) are printed for the
 * README's "Install" section; nothing here asserts on time.
 */
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  version: string;
  devDependencies: Record<string, string>;
};
const work = mkdtempSync(path.join(os.tmpdir(), "rdpg-consumer-"));
const app = path.join(work, "app");
const nodeDir = path.dirname(process.execPath);
// The test's Node (22+) first on PATH, and no Pulumi CLI: HOME is empty, PATH has no `pulumi`.
const PATH = [
  nodeDir,
  ...(process.env.PATH ?? "").split(path.delimiter).filter((d) => !existsSync(path.join(d, "pulumi"))),
].join(path.delimiter);
const env: NodeJS.ProcessEnv = { ...process.env, PATH, HOME: work, NO_COLOR: "1", npm_config_update_notifier: "false" };
const measured: Record<string, string> = {};
let tarball = "";
let packFiles: string[] = [];

/** Real installs from the registry; --prefer-offline reuses the npm cache that `npm ci` of this repo filled. */
function npm(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", [...args, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd,
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`npm ${args.join(" ")} in ${cwd}: exit ${code}\n${err}`)),
    );
  });
}
function measure(label: string, value: string): void {
  measured[label] = value;
  console.log(`measured: ${label}: ${value}`);
}
async function timed(label: string, work: Promise<void>): Promise<void> {
  const t0 = process.hrtime.bigint();
  await work;
  measure(label, `${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s`);
}
const duMb = (dir: string): string =>
  `${(Number(execFileSync("du", ["-sk", dir], { encoding: "utf8" }).split("\t")[0]) / 1024).toFixed(0)} MB`;
function rdpGuard(args: string[], node = process.execPath): SpawnSyncReturns<string> {
  return spawnSync(node, [path.join(app, "node_modules/.bin/rdp-guard"), ...args], {
    cwd: work,
    env,
    encoding: "utf8",
  });
}
/** Command names in `--help` output (commander's "Commands:" block). */
const commandsIn = (help: string): string[] =>
  [...help.split("Commands:")[1]!.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== "help");

let packInstall: Promise<void>;
const packDir = path.join(work, "pack");

/** policies/ copied alone, with its azure-rdp-guard dependency pointed at the tarball. */
function copyPack(): void {
  cpSync(path.join(ROOT, "policies"), packDir, { recursive: true, filter: (src) => !src.includes("node_modules") });
  const manifest = JSON.parse(readFileSync(path.join(packDir, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  expect(manifest.dependencies["azure-rdp-guard"]).toBe("file:..");
  manifest.dependencies["azure-rdp-guard"] = `file:${tarball}`;
  writeFileSync(path.join(packDir, "package.json"), JSON.stringify(manifest, null, 2));
}

beforeAll(async () => {
  // `npm test` built dist/ already; --ignore-scripts skips `prepare` (a second tsc run).
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], {
      cwd: ROOT,
      env,
      encoding: "utf8",
    }),
  ) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
  tarball = path.join(work, packed[0]!.filename);
  packFiles = packed[0]!.files.map((f) => f.path);
  measure(
    "tarball",
    `${(packed[0]!.size / 1024).toFixed(0)} kB (${(packed[0]!.unpackedSize / 1024).toFixed(0)} kB unpacked)`,
  );
  mkdirSync(app);
  writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({ name: "consumer-app", version: "1.0.0", private: true }),
  );
  await timed("install (CLI and engine, --omit=dev)", npm(["install", "--omit=dev", tarball], app));
  measure("installed size (CLI and engine)", duMb(path.join(app, "node_modules")));
  // The pack's install runs beside the rest of the suite (measured, but while other work runs).
  copyPack();
  packInstall = timed("install of the copied policy pack (concurrent)", npm(["install"], packDir));
  packInstall.catch(() => undefined); // awaited (and reported) by the pack's suite
}, 170_000);

afterAll(() => {
  console.log(
    `consumer package measurements:\n${Object.entries(measured)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join("\n")}`,
  );
  // Tens of thousands of files: removed in the background so the suite does not wait for the disk.
  spawn("rm", ["-rf", work], { detached: true, stdio: "ignore" }).unref();
});

describe("the packed tarball", () => {
  it("holds the built code, types, bin, README and LICENSE, and no tests, fixtures, sources or maps", () => {
    for (const f of [
      "package.json",
      "README.md",
      "LICENSE",
      "bin/rdp-guard.js",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/components/index.d.ts",
      "dist/components/policies/index.js",
      "dist/components/fleet/runner.js",
    ]) {
      expect(packFiles).toContain(f);
    }
    expect(
      packFiles.filter((f) =>
        /^(test|examples|bench|src|components|policies)\/|^dist\/(test|bench|examples)\/|\.map$|fixture/.test(f),
      ),
    ).toEqual([]);
  });
});

describe("rdp-guard from the installed package", () => {
  it("--help lists every command of the CLI, and --version is package.json's", () => {
    const help = rdpGuard(["--help"]);
    expect(help.status).toBe(0);
    const fromRepo = execFileSync(process.execPath, [path.join(ROOT, "bin/rdp-guard.js"), "--help"], {
      encoding: "utf8",
    });
    expect(commandsIn(fromRepo).length).toBeGreaterThanOrEqual(6);
    expect(commandsIn(help.stdout)).toEqual(commandsIn(fromRepo));
    expect(rdpGuard(["--version"]).stdout.trim()).toBe(pkg.version);
  });

  it("scan examples/ exits 1 with JSON findings; SARIF names the package version", () => {
    const examples = path.join(ROOT, "examples");
    const json = rdpGuard(["scan", examples, "--format", "json"]);
    expect(json.stderr).toBe("");
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout) as { tool: { version: string }; findings: { ruleId: string }[] };
    expect(report.tool.version).toBe(pkg.version);
    expect(report.findings.map((f) => f.ruleId)).toContain("RDPG001");
    const sarif = JSON.parse(rdpGuard(["scan", examples, "--format", "sarif"]).stdout) as {
      runs: { tool: { driver: { version: string } } }[];
    };
    expect(sarif.runs[0]!.tool.driver.version).toBe(pkg.version);
  });

  it("on Node < 22 prints one line asking for Node 22", () => {
    const old = ["/usr/bin/node", "/usr/local/bin/node"].find(
      (n) =>
        existsSync(n) &&
        Number(execFileSync(n, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" })) < 22,
    );
    if (!old) return console.log("no Node < 22 on this machine: the old-Node check is not exercised");
    const r = rdpGuard(["--help"], old);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^rdp-guard: Node\.js 22 or later is needed \(this is Node\.js 2?\d\.[\d.]+\)\n$/);
  });

  it("require time of each subpath (measured, printed)", () => {
    for (const sub of ["azure-rdp-guard/engine", "azure-rdp-guard/package.json"]) {
      const ms = execFileSync(
        process.execPath,
        [
          "-e",
          "const t=process.hrtime.bigint();" +
            `require(${JSON.stringify(sub)});console.log(Number(process.hrtime.bigint()-t)/1e6)`,
        ],
        { cwd: app, env, encoding: "utf8" },
      );
      measure(`require ${sub}`, `${Number(ms).toFixed(0)} ms`);
    }
    // Without the optional Pulumi peers, the component entry names them (not Node's require stack).
    const root = spawnSync(process.execPath, ["-e", "require('azure-rdp-guard')"], { cwd: app, env, encoding: "utf8" });
    expect(root.status).not.toBe(0);
    expect(root.stderr).toMatch(
      /UserError: azure-rdp-guard needs the peer dependencies @pulumi\/pulumi, @pulumi\/azure-native\/compute: npm install @pulumi\/pulumi @pulumi\/azure-native/,
    );
    expect(root.stderr).not.toMatch(/Cannot find module|Require stack/);
  });
});

/** A plan with one online re-run, as `rdp-guard plan` writes it. */
function writePlan(file: string): void {
  const now = new Date().toISOString();
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      kind: "rdp-guard-plan",
      id: "plan-consumer",
      createdAt: now,
      auditGeneratedAt: now,
      config: {
        rdpPorts: [3389],
        trustedSourcePrefixes: [],
        maxPublicSourceAddresses: 256,
        failOnUnevaluable: true,
        exemptions: [],
        remediationSourcePrefixes: [],
      },
      vms: [
        {
          id:
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg" +
            "/providers/Microsoft.Compute/virtualMachines/vm1",
          name: "vm1",
          subscriptionId: "00000000-0000-0000-0000-000000000001",
          resourceGroup: "rg",
          location: "westeurope",
          actions: ["online-rerun"],
          why: ["hardening drift"],
          nsgFixIds: [],
        },
      ],
      nsgFixes: [],
    }),
  );
}

describe("the component, engine and remediation with the Pulumi SDK installed beside it", () => {
  const planFile = path.join(work, "plan.json");
  beforeAll(async () => {
    writePlan(planFile);
    // Without the optional peers, remediate stops with one line before loading anything.
    const r = rdpGuard(["remediate", "--plan", planFile, "--dry-run"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n").pop()).toMatch(
      /^rdp-guard: remediate needs the Pulumi SDK beside azure-rdp-guard: npm install/,
    );
    const dev = pkg.devDependencies;
    await timed(
      "install @pulumi/pulumi + @pulumi/azure-native (peers, concurrent)",
      npm(
        [
          "install",
          "--omit=dev",
          `@pulumi/pulumi@${dev["@pulumi/pulumi"]}`,
          `@pulumi/azure-native@${dev["@pulumi/azure-native"]}`,
        ],
        app,
      ),
    );
    measure("installed size (with Pulumi peers)", duMb(path.join(app, "node_modules")));
    await npm(["install", "--omit=dev", `typescript@${dev.typescript}`, `@types/node@${dev["@types/node"]}`], app);
  }, 170_000);

  it("remediate from node_modules runs the compiled runner and stops at the missing Pulumi CLI with one line", () => {
    const r = rdpGuard(["remediate", "--plan", planFile, "--dry-run"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n").pop()).toMatch(/^rdp-guard: the Pulumi CLI is not installed/);
  });

  it("a TypeScript consumer compiles with its own tsc against the package types and runs under Pulumi mocks", () => {
    // The Pulumi-facing consumer skips checking library .d.ts files (azure-native's alone take ~30 s);
    // the engine's declarations are checked in full by a second, engine-only program.
    const options = { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, types: ["node"] };
    writeFileSync(
      path.join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { ...options, outDir: "out", skipLibCheck: true },
        files: ["consumer.ts"],
      }),
    );
    writeFileSync(
      path.join(app, "tsconfig.engine.json"),
      JSON.stringify({
        compilerOptions: { ...options, noEmit: true, skipLibCheck: false },
        files: ["engine-consumer.ts"],
      }),
    );
    writeFileSync(
      path.join(app, "engine-consumer.ts"),
      `import * as engine from "azure-rdp-guard/engine";
import type { Finding, GuardConfig, HardeningOptions, NsgInput } from "azure-rdp-guard/engine";
const config: GuardConfig = { ...engine.DEFAULT_CONFIG, rdpPorts: [3389, 3390] };
const nsgs: NsgInput[] = [];
const findings: readonly Finding[] = engine.scanNsgs(nsgs, config).findings;
const options: HardeningOptions = engine.resolveOptions({});
export const used = [findings, options, engine.ALL_CHECKS, engine.InputError, engine.isUserError];
`,
    );
    writeFileSync(
      path.join(app, "consumer.ts"),
      `import * as pulumi from "@pulumi/pulumi";
import type { HardeningOptions } from "azure-rdp-guard/engine";
import { DEFAULT_CONFIG, scanNsgs } from "azure-rdp-guard/engine";

const commands: string[] = [];
pulumi.runtime.setMocks({
  newResource: (args) => {
    const ps = args.inputs.protectedSettings as { value?: { commandToExecute?: string }; commandToExecute?: string };
    const command = ps?.value?.commandToExecute ?? ps?.commandToExecute;
    if (command) commands.push(command);
    return { id: args.name + "-id", state: args.inputs };
  },
  call: (args) => args.inputs,
}, "consumer", "dev", false);

async function main(): Promise<void> {
  // After setMocks, as a Pulumi program's modules would load.
  const { RdpHardening, decodeHardeningCommand } = await import("azure-rdp-guard");
  const options: HardeningOptions = { rdpPort: 3389 };
  const h = new RdpHardening("web1", { resourceGroupName: "rg", vmName: "vm1", location: "westeurope", ...options });
  const urn = await new Promise<string>((resolve) => h.urn.apply(resolve));
  await new Promise((resolve) => h.extension!.urn.apply(resolve)); // registered after its inputs resolve
  const script = decodeHardeningCommand(commands[0]!);
  const { findings } = scanNsgs([{
    id: "nsg1", name: "nsg1", type: "azure-native:network:NetworkSecurityGroup", rules: [{
      name: "rdp", priority: 100, direction: "Inbound", access: "Allow", protocol: "Tcp",
      sourceAddressPrefix: "*", destinationAddressPrefix: "*", destinationPortRange: "3389",
    }],
  }], DEFAULT_CONFIG);
  const version = /\\$Version = '([^']*)'/.exec(script)?.[1];
  console.log(JSON.stringify({ urn, version, checks: findings.map((f) => f.checkId) }));
}
main().catch((e: unknown) => { console.error(e); process.exit(1); });
`,
    );
    const tscBin = path.join(app, "node_modules/typescript/bin/tsc");
    for (const project of ["tsconfig.json", "tsconfig.engine.json"]) {
      const tsc = spawnSync(process.execPath, [tscBin, "-p", path.join(app, project)], {
        cwd: app,
        env,
        encoding: "utf8",
      });
      expect(tsc.stdout + tsc.stderr, project).toBe("");
      expect(tsc.status).toBe(0);
    }
    const run = spawnSync(process.execPath, [path.join(app, "out/consumer.js")], { cwd: app, env, encoding: "utf8" });
    expect(run.stderr).toBe("");
    const out = JSON.parse(run.stdout.trim().split("\n").pop()!) as { urn: string; version: string; checks: string[] };
    expect(out.urn).toMatch(/::azure-rdp-guard:index:RdpHardening::web1$/);
    expect(out.version).toBe(pkg.version); // the script report's version
    expect(out.checks).toEqual(["RDPG001"]);
    for (const sub of ["azure-rdp-guard", "azure-rdp-guard/policies"]) {
      const ms = execFileSync(
        process.execPath,
        [
          "-e",
          "const t=process.hrtime.bigint();" +
            `require(${JSON.stringify(sub)});console.log(Number(process.hrtime.bigint()-t)/1e6)`,
        ],
        { cwd: app, env, encoding: "utf8" },
      );
      measure(`require ${sub}`, `${Number(ms).toFixed(0)} ms`);
    }
  }, 150_000);
});

describe("policies/ copied alone, its dependency pointed at the tarball", () => {
  let pack: PolicyPackProcess | undefined;
  beforeAll(async () => {
    await packInstall;
    measure("installed size (policy pack)", duMb(path.join(packDir, "node_modules")));
    // The host the Pulumi CLI would start: the pack's own @pulumi/pulumi run-policy-pack.
    pack = await PolicyPackProcess.start(
      packDir,
      path.join(packDir, "node_modules/@pulumi/pulumi/cmd/run-policy-pack"),
    );
  }, 170_000);
  afterAll(async () => {
    await pack?.stop();
  });

  it("loads in the policy host: GetAnalyzerInfo names the pack, its version and policies", async () => {
    const info = await pack!.info();
    expect(info.getName()).toBe("azure-rdp-guard");
    expect(info.getVersion()).toBe(pkg.version);
    expect(info.getPoliciesList().map((p) => p.getName())).toContain("nsg-no-internet-rdp");
  });

  it("Analyze blocks an NSG open to RDP from the Internet", async () => {
    const ds = await pack!.analyze(nativeNsg([rdpRule()]));
    const blocking = ds.filter((d) => d.policyName === "nsg-no-internet-rdp");
    expect(blocking.map((d) => d.enforcementLevel)).toEqual(["mandatory"]);
    expect(blocking[0]!.message).toContain("[RDPG001]");
  });
});
