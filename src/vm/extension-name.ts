/** Name of the RdpHardening CustomScript extension unless the user names it (one place for the default). */
export const DEFAULT_EXTENSION_NAME = "azure-rdp-guard";

export function extensionNameOrDefault(name: string | undefined): string {
  return name && name.trim() ? name : DEFAULT_EXTENSION_NAME;
}
