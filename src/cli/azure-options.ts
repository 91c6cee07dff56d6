import { Command } from "commander";
import { promises as fs } from "node:fs";
import type { TokenCredential } from "@azure/core-auth";
import { Selection } from "../azure/queries";
import { SdkFleetSource, staticTokenCredential } from "../azure/sdk-source";
import { InputError } from "../errors";

export interface AzureCliOptions {
  subscription: string[];
  managementGroup: string[];
  resourceGroup: string[];
  tag: string[];
  armEndpoint?: string;
  caFile?: string;
  extensionName: string;
  concurrency: number;
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

/** The options every command that reads Azure takes. */
export function addAzureOptions(cmd: Command): Command {
  return cmd
    .option("--subscription <id>", "subscription to read (repeatable)", collect, [] as string[])
    .option("--management-group <id>", "management group to read through Resource Graph (repeatable)", collect, [] as string[])
    .option("--resource-group <name>", "only VMs in this resource group (repeatable)", collect, [] as string[])
    .option("--tag <key=value>", "only VMs with this tag (repeatable, all must match)", collect, [] as string[])
    .option("--arm-endpoint <url>", "Azure Resource Manager endpoint (sovereign clouds, Azure Stack)")
    .option("--ca-file <pem>", "extra CA certificates to trust (PEM)")
    .option("--extension-name <name>", "name of the hardening CustomScript extension", "azure-rdp-guard")
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
export async function azureCredential(env: NodeJS.ProcessEnv): Promise<TokenCredential> {
  if (env.AZURE_ACCESS_TOKEN) return staticTokenCredential(env.AZURE_ACCESS_TOKEN);
  const { DefaultAzureCredential } = await import("@azure/identity");
  return new DefaultAzureCredential();
}

/** `--arm-endpoint` and `--ca-file`, checked and read: the same for every command that calls Azure. */
export async function connection(o: { armEndpoint?: string; caFile?: string }): Promise<{ endpoint?: string; ca?: string }> {
  if (o.armEndpoint && !/^https:\/\//i.test(o.armEndpoint)) throw new InputError(`--arm-endpoint: '${o.armEndpoint}' must be an https:// URL`);
  if (!o.caFile) return { endpoint: o.armEndpoint };
  try {
    return { endpoint: o.armEndpoint, ca: await fs.readFile(o.caFile, "utf8") };
  } catch (e) {
    throw new InputError(`${o.caFile}: cannot read CA file: ${(e as Error).message}`);
  }
}

export async function fleetSource(o: { armEndpoint?: string; caFile?: string }, env: NodeJS.ProcessEnv = process.env): Promise<SdkFleetSource> {
  return new SdkFleetSource({ credential: await azureCredential(env), ...(await connection(o)) });
}
