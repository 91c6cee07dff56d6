import { NsgInput } from "../nsg/rules";
import { VmFacts } from "../vm/hints";

export const FORMATS = ["arm", "pulumi-preview", "pulumi-stack", "az", "terraform"] as const;
export type FormatName = (typeof FORMATS)[number];

/** One input file, normalized. */
export interface ParsedInput {
  readonly format: FormatName;
  readonly nsgs: NsgInput[];
  readonly vms: VmFacts[];
  /** Resources seen in the file, of any type (for "no recognizable resources" checks). */
  readonly resources: number;
}
