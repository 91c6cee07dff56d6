/*
 * What schema inference sees of @pulumi/azure-native (components/provider/tsconfig.json maps the
 * package here). Its real declarations (16 MB of types/input.d.ts and output.d.ts) cost TypeScript
 * about 5 s of CPU to parse on every provider start, and no azure-native type is part of the
 * component's schema: the component creates the extension but exposes only strings and its settings.
 * Type-checking and the build use the real declarations (tsconfig.json at the repository root).
 */
export declare class VirtualMachineExtension {
  constructor(name: string, args: unknown, opts?: unknown);
}
