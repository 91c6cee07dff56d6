/*
 * Where Pulumi's schema inference starts (it looks for index.ts beside package.json when "main" has
 * no .ts twin): it follows this export to the RdpHardening class and its Args. The provider itself
 * runs from main.ts.
 */
export { RdpHardening } from "../rdp-hardening";
