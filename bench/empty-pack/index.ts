import { PolicyPack } from "@pulumi/policy";

new PolicyPack("empty-baseline", {
  policies: [
    { name: "noop", description: "does nothing", enforcementLevel: "advisory", validateResource: () => undefined },
  ],
});
