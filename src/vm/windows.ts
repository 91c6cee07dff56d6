/**
 * The one answer to "is this a Windows VM", for every input (templates, Pulumi state, Resource
 * Graph, ARM GET): an OS disk typed Windows, a Windows image publisher, or a Windows OS profile.
 */
export function isWindowsVm(f: {
  osType?: unknown;
  imagePublisher?: unknown;
  windowsConfiguration?: unknown;
}): boolean {
  return (
    (typeof f.osType === "string" && f.osType.toLowerCase() === "windows") ||
    (typeof f.imagePublisher === "string" && /windows/i.test(f.imagePublisher)) ||
    (typeof f.windowsConfiguration === "object" && f.windowsConfiguration !== null)
  );
}
