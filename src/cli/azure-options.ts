import { Command } from "commander";
import { promises as fs } from "node:fs";
import type { TokenCredential } from "@azure/core-auth";
import { Selection } from "../azure/queries";
import { SdkFleetSource, staticTokenCredential, trustedRoots } from "../azure/sdk-source";
import { InputError } from "../errors";
import { Cloud, resolveCloud } from "../azure/clouds";
import { DEFAULT_EXTENSION_NAME } from "../vm/extension-name";

export interface AzureCliOptions {
  subscription: string[];
  managementGroup: string[];
  resourceGroup: string[];
  tag: string[];
  armEndpoint?: string;
  cloud?: string;
  caFile?: string;
  extensionName: string;
  concurrency: number;
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

/** `--max-age-hours`: a positive number of hours, the same parser for plan, remediate and repair. */
export function parseMaxAgeHours(v: string): number {
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || Number(v) <= 0) {
    throw new InputError(`--max-age-hours: '${v}' is not a positive number`);
  }
  return Number(v);
}

/** The options every command that reads Azure takes. */
export function addAzureOptions(cmd: Command): Command {
  return cmd
    .option("--subscription <id>", "subscription to read (repeatable)", collect, [] as string[])
    .option("--management-group <id>", "management group to read through Resource Graph (repeatable)", collect, [] as string[])
    .option("--resource-group <name>", "only VMs in this resource group (repeatable)", collect, [] as string[])
    .option("--tag <key=value>", "only VMs with this tag (repeatable, all must match)", collect, [] as string[])
    .option("--cloud <name>", "AzurePublicCloud, AzureUSGovernment or AzureChinaCloud (default: from --arm-endpoint, else public)")
    .option("--arm-endpoint <url>", "Azure Resource Manager endpoint (a proxy; implies the cloud when it is a cloud's own). " +
      "Azure Stack Hub has no Resource Graph and is not supported")
    .option("--ca-file <pem>", "extra CA certificates to trust (PEM)")
    .option("--extension-name <name>", "name of the hardening CustomScript extension", DEFAULT_EXTENSION_NAME)
    .option("--concurrency <n>", "instance-view requests in flight", (v: string) => {
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 64) throw new InputError(`--concurrency: '${v}' must be 1-64`);
      return Number(v);
    }, 16);
}

export function selectionOf(o: AzureCliOptions): Selection {
  if (o.subscription.length === 0 && o.managementGroup.length === 0) {
    throw new InputError("pass --subscription <id> (repeatable) or --management-group <id>");
  }
  const tags = o.tag.map((t) => {
    const i = t.indexOf("=");
    if (i <= 0) throw new InputError(`--tag: '${t}' must be key=value`);
    return { key: t.slice(0, i), value: t.slice(i + 1) };
  });
  for (const s of o.subscription) if (!/^[0-9a-f-]{36}$/i.test(s)) throw new InputError(`--subscription: '${s}' is not a subscription id (GUID)`);
  return { subscriptions: o.subscription, managementGroups: o.managementGroup, resourceGroups: o.resourceGroup, tags };
}

/**
 * Credentials: a bearer token in AZURE_ACCESS_TOKEN (e.g. from `az account get-access-token`) when
 * set, otherwise @azure/identity's DefaultAzureCredential (environment, workload and managed
 * identity, Azure CLI, ...).
 */
export async function azureCredential(env: NodeJS.ProcessEnv, cloud?: Cloud): Promise<TokenCredential> {
  if (env.AZURE_ACCESS_TOKEN) return staticTokenCredential(env.AZURE_ACCESS_TOKEN);
  const { DefaultAzureCredential } = await import("@azure/identity");
  // Sovereign clouds sign in at their own authority (AZURE_AUTHORITY_HOST still wins when set).
  return new DefaultAzureCredential(cloud && !env.AZURE_AUTHORITY_HOST ? { authorityHost: cloud.authorityHost } : {});
}

export interface Connection {
  readonly cloud: Cloud;
  readonly endpoint: string;
  /** The extra PEM of --ca-file (clients add it to the system roots, see trustedRoots). */
  readonly ca?: string;
  /** System roots plus --ca-file, for clients that take a full trust list. */
  readonly caList?: string[];
}

/** `--cloud`, `--arm-endpoint` and `--ca-file`, checked and read: the same for every command that calls Azure. */
export async function connection(o: { cloud?: string; armEndpoint?: string; caFile?: string }): Promise<Connection> {
  const { cloud, endpoint } = resolveCloud(o.cloud, o.armEndpoint);
  if (!o.caFile) return { cloud, endpoint };
  let ca: string;
  try {
    ca = await fs.readFile(o.caFile, "utf8");
  } catch (e) {
    throw new InputError(`${o.caFile}: cannot read CA file: ${(e as Error).message}`);
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(ca)) throw new InputError(`${o.caFile}: no PEM certificate in the CA file`);
  return { cloud, endpoint, ca, caList: trustedRoots(ca) };
}

export async function fleetSource(o: { cloud?: string; armEndpoint?: string; caFile?: string }, env: NodeJS.ProcessEnv = process.env,
  onWait?: (line: string) => void): Promise<SdkFleetSource> {
  const c = await connection(o);
  return new SdkFleetSource({ credential: await azureCredential(env, c.cloud), cloud: c.cloud, endpoint: c.endpoint, ca: c.ca, onWait });
}
