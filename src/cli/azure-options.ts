import { promises as fs } from "node:fs";
import type { TokenCredential } from "@azure/core-auth";
import { Selection } from "../azure/queries";
import { SdkFleetSource, staticTokenCredential, trustedRoots } from "../azure/sdk-source";
import { InputError } from "../errors";
import { Cloud, resolveCloud } from "../azure/clouds";

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

export function selectionOf(o: AzureCliOptions): Selection {
  if (o.subscription.length === 0 && o.managementGroup.length === 0) {
    throw new InputError("pass --subscription <id> (repeatable) or --management-group <id>");
  }
  const tags = o.tag.map((t) => {
    const i = t.indexOf("="); // --tag's parser (options.ts) checked the shape
    return { key: t.slice(0, i), value: t.slice(i + 1) };
  });
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

export async function fleetSource(
  o: { cloud?: string; armEndpoint?: string; caFile?: string },
  env: NodeJS.ProcessEnv = process.env,
  onWait?: (line: string) => void,
): Promise<SdkFleetSource> {
  const c = await connection(o);
  return new SdkFleetSource({
    credential: await azureCredential(env, c.cloud),
    cloud: c.cloud,
    endpoint: c.endpoint,
    ca: c.ca,
    onWait,
  });
}
