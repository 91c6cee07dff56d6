import { InputError } from "../errors";

/**
 * The Azure clouds rdp-guard can audit and remediate. Each one fixes the ARM endpoint, the token
 * scope (audience) requested from Entra ID, the authority host DefaultAzureCredential signs in at,
 * and the `environment` of the Pulumi azure-native provider.
 * Sources: ARM endpoints: @azure/arm-resourcegraph static-helpers/cloudSettingHelpers (getArmEndpoint);
 * authority hosts: @azure/identity AzureAuthorityHosts; audiences: hashicorp/go-azure-sdk
 * sdk/environments (AzureUSGovernment/AzureChina `Audiences`); provider environment values:
 * @pulumi/azure-native ProviderArgs.environment ("public, usgovernment, and china").
 */
export type CloudName = "AzurePublicCloud" | "AzureUSGovernment" | "AzureChinaCloud";

export interface Cloud {
  readonly name: CloudName;
  readonly armEndpoint: string;
  /** OAuth scope for ARM tokens. */
  readonly scope: string;
  readonly authorityHost: string;
  readonly pulumiEnvironment: "public" | "usgovernment" | "china";
}

export const CLOUDS: Readonly<Record<CloudName, Cloud>> = {
  AzurePublicCloud: {
    name: "AzurePublicCloud",
    armEndpoint: "https://management.azure.com",
    scope: "https://management.azure.com/.default",
    authorityHost: "https://login.microsoftonline.com",
    pulumiEnvironment: "public",
  },
  AzureUSGovernment: {
    name: "AzureUSGovernment",
    armEndpoint: "https://management.usgovcloudapi.net",
    scope: "https://management.usgovcloudapi.net/.default",
    authorityHost: "https://login.microsoftonline.us",
    pulumiEnvironment: "usgovernment",
  },
  AzureChinaCloud: {
    name: "AzureChinaCloud",
    armEndpoint: "https://management.chinacloudapi.cn",
    scope: "https://management.chinacloudapi.cn/.default",
    authorityHost: "https://login.chinacloudapi.cn",
    pulumiEnvironment: "china",
  },
};

/**
 * Resource Graph api-version pinned for every cloud: 2021-03-01 is the GA version the Python SDK
 * still defaults to (it supports cloud_setting for China and US Government; docs:
 * https://learn.microsoft.com/python/api/azure-mgmt-resourcegraph/azure.mgmt.resourcegraph.resourcegraphclient),
 * and the request/response fields the audit uses are the same as in later versions.
 * Spec: Azure/azure-rest-api-specs specification/resourcegraph/resource-manager/Microsoft.ResourceGraph/
 * stable/2021-03-01/resourcegraph.json.
 */
export const RESOURCE_GRAPH_API_VERSION = "2021-03-01";

export const AZURE_STACK_HUB_NO_GRAPH =
  "Azure Stack Hub has no Resource Graph (and no Management Locks listing at fleet scale), so audit and plan cannot " +
  "run there; scan its templates with `rdp-guard scan` instead";

export interface ResolvedCloud {
  readonly cloud: Cloud;
  /** ARM endpoint to call: the cloud's, or --arm-endpoint (a proxy or a test server). */
  readonly endpoint: string;
}

/**
 * `--cloud` and `--arm-endpoint` together: the cloud names the audience and authority; an endpoint
 * of a known cloud implies that cloud; an Azure Stack Hub endpoint is refused (no Resource Graph).
 */
export function resolveCloud(cloud: string | undefined, armEndpoint: string | undefined): ResolvedCloud {
  if (cloud !== undefined && !(cloud in CLOUDS)) {
    throw new InputError(`--cloud: '${cloud}' must be one of ${Object.keys(CLOUDS).join(", ")}`);
  }
  let host = "";
  if (armEndpoint !== undefined) {
    if (!/^https:\/\//i.test(armEndpoint))
      throw new InputError(`--arm-endpoint: '${armEndpoint}' must be an https:// URL`);
    try {
      host = new URL(armEndpoint).hostname.toLowerCase();
    } catch {
      throw new InputError(`--arm-endpoint: '${armEndpoint}' is not a URL`);
    }
    if (/azurestack|\.local\.azurestack\.external$/.test(host))
      throw new InputError(`--arm-endpoint ${armEndpoint}: ${AZURE_STACK_HUB_NO_GRAPH}`);
  }
  const implied = Object.values(CLOUDS).find((c) => new URL(c.armEndpoint).hostname === host);
  if (cloud !== undefined && implied && implied.name !== cloud) {
    throw new InputError(`--arm-endpoint ${armEndpoint} belongs to ${implied.name}, not --cloud ${cloud}`);
  }
  const chosen = CLOUDS[(cloud as CloudName | undefined) ?? implied?.name ?? "AzurePublicCloud"];
  return { cloud: chosen, endpoint: armEndpoint ?? chosen.armEndpoint };
}
