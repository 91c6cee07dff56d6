import * as pulumi from "@pulumi/pulumi";
import { loadPlan } from "../../src/fleet/documents";
import { programOutputs, remediationResources } from "./remediation-program";

// Root program of Pulumi.yaml. `rdp-guard remediate` sets the config through the Automation API;
// by hand: `pulumi config set azure-rdp-guard:planFile plan.json && pulumi up`.
const run = async (): Promise<Record<string, pulumi.Input<unknown>>> => {
  const config = new pulumi.Config("azure-rdp-guard");
  const planFile = config.require("planFile");
  const maxAge = config.getNumber("maxPlanAgeHours") ?? 24;
  const plan = await loadPlan(planFile, maxAge);
  return programOutputs(remediationResources(plan, { extensionName: config.get("extensionName") }));
};

export = run;
