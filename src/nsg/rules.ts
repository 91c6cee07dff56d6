/**
 * The normalized NSG model every input format is turned into. Values stay raw (strings as users wrote
 * them) so the engine, not each format, decides what they mean; a value a format could not resolve is
 * kept as `Unresolved` so it is reported instead of dropped.
 */

/**
 * Brand that only the engine can set: a `{ unresolved, text }` object in a user's JSON file is a
 * literal (and so unevaluable), never an unknown value.
 */
const UNRESOLVED: unique symbol = Symbol("unresolved");

/** A value the format could not turn into a literal. */
export interface Unresolved {
  readonly [UNRESOLVED]: true;
  /**
   * `unknown`: a value the tool only knows later (a computed output during `pulumi preview`, a
   * Terraform value known after apply); `expression`: an ARM expression that cannot be resolved.
   */
  readonly unresolved: "unknown" | "expression";
  readonly text: string;
}

export function unresolved(kind: Unresolved["unresolved"], text: string): Unresolved {
  return { [UNRESOLVED]: true, unresolved: kind, text };
}

export type RawScalar = string | number | boolean | null | undefined | Unresolved;
export type RawList = readonly RawScalar[] | Unresolved | null | undefined;

export interface SourceLocation {
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  readonly column?: number;
  /** Path of the object inside a JSON input; turned into line/column only for findings. */
  readonly jsonPath?: readonly (string | number)[];
}

export interface RuleInput {
  readonly name: string;
  readonly priority?: RawScalar;
  readonly direction?: RawScalar;
  readonly access?: RawScalar;
  readonly protocol?: RawScalar;
  readonly sourceAddressPrefix?: RawScalar;
  readonly sourceAddressPrefixes?: RawList;
  readonly sourceApplicationSecurityGroups?: RawList;
  readonly destinationAddressPrefix?: RawScalar;
  readonly destinationAddressPrefixes?: RawList;
  readonly destinationApplicationSecurityGroups?: RawList;
  readonly destinationPortRange?: RawScalar;
  readonly destinationPortRanges?: RawList;
  /** Source ports: they never make a rule unevaluable, but a Deny limited to some hides nothing for sure. */
  readonly sourcePortRange?: RawScalar;
  readonly sourcePortRanges?: RawList;
  /** Set when the rule entry itself cannot be read (not an object, an expression): always unevaluable. */
  readonly unreadable?: { readonly value: string; readonly reason: string; readonly kind: "unknown" | "unevaluable" };
  /** Azure's built-in rules (65000+): exempt from the 100-4096 priority range. */
  readonly isDefault?: boolean;
  /** Where the rule came from when it is its own resource (a standalone security rule). */
  readonly resourceId?: string;
  readonly location?: SourceLocation;
}

export interface NsgInput {
  /** Stable identity: ARM id, Pulumi URN, Terraform address or a file-local name. */
  readonly id: string;
  readonly name: string;
  /** Resource type as the input spells it, e.g. `azure-native:network:NetworkSecurityGroup`. */
  readonly type: string;
  readonly rules: readonly RuleInput[];
  readonly location?: SourceLocation;
  /** The whole rule list could not be read (e.g. `securityRules` is an expression). */
  readonly unresolvedRules?: Unresolved;
  /** The rule list has a shape that cannot be a rule list (an object, a string): unevaluable. */
  readonly unreadableRules?: { readonly value: string; readonly reason: string };
  /** When unknown values become known, for messages: at `pulumi up` (the default) or after `terraform apply`. */
  readonly unknownsUntil?: "pulumi-up" | "terraform-apply";
  /** Which state of a stack export this is, when the declared inputs and deployed outputs differ. */
  readonly view?: "deployed" | "declared";
  /** Why rules were judged apart from their NSG (its identity is unknown), for an RDPG004 note. */
  readonly ungrouped?: string;
}

export function isUnresolved(v: unknown): v is Unresolved {
  return typeof v === "object" && v !== null && (v as { [UNRESOLVED]?: true })[UNRESOLVED] === true;
}

/** Azure's default inbound rules, always present below every custom rule. */
export const DEFAULT_INBOUND_RULES: readonly RuleInput[] = [
  {
    name: "AllowVnetInBound",
    priority: 65000,
    direction: "Inbound",
    access: "Allow",
    protocol: "*",
    sourceAddressPrefix: "VirtualNetwork",
    destinationAddressPrefix: "VirtualNetwork",
    destinationPortRange: "*",
    isDefault: true,
  },
  {
    name: "AllowAzureLoadBalancerInBound",
    priority: 65001,
    direction: "Inbound",
    access: "Allow",
    protocol: "*",
    sourceAddressPrefix: "AzureLoadBalancer",
    destinationAddressPrefix: "*",
    destinationPortRange: "*",
    isDefault: true,
  },
  {
    name: "DenyAllInBound",
    priority: 65500,
    direction: "Inbound",
    access: "Deny",
    protocol: "*",
    sourceAddressPrefix: "*",
    destinationAddressPrefix: "*",
    destinationPortRange: "*",
    isDefault: true,
  },
];
