import { lower } from "../azure/model";
import { typeQuery, Selection } from "../azure/queries";
import { loadPlan } from "../fleet/documents";
import { SdkRepairCloud } from "../fleet/repair/cloud";
import { REPAIR_STEPS, loadJournal } from "../fleet/repair/journal";
import { RepairWorkflow, checkPlanId, initJournal, rollbackVm } from "../fleet/repair/workflow";
import { InputError, RepairError } from "../errors";
import { azureCredential, connection, fleetSource } from "./azure-options";
import { CommandContext } from "./io";

interface RepairCliOptions {
  plan: string;
  journal?: string;
  dryRun: boolean;
  yes: boolean;
  rescueVmSize: string;
  cloud?: string;
  armEndpoint?: string;
  caFile?: string;
  maxAgeHours: number;
  extensionName: string;
}

/** Minutes one offline repair is expected to take (snapshot, copy, rescue VM, script, swap, start, verify). */
export const MINUTES_PER_VM = 45;

/**
 * AZURE_ACCESS_TOKEN is a bearer token that cannot be refreshed: read its `exp` and refuse one that ends
 * before the run is expected to. DefaultAzureCredential refreshes its tokens and suits long repairs.
 */
export function checkTokenLifetime(token: string, minutesNeeded: number, now = Date.now()): void {
  let exp: unknown;
  try {
    exp = (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp?: unknown }).exp;
  } catch {
    exp = undefined;
  }
  const hint =
    "unset AZURE_ACCESS_TOKEN to use DefaultAzureCredential (az login, managed identity, workload identity), " +
    "which renews its tokens";
  if (typeof exp !== "number")
    throw new InputError(`AZURE_ACCESS_TOKEN is not a JWT with an 'exp' claim, so its lifetime is unknown: ${hint}`);
  const left = Math.floor((exp * 1000 - now) / 60_000);
  if (left < minutesNeeded) {
    throw new InputError(
      `AZURE_ACCESS_TOKEN expires in ${Math.max(left, 0)} min (${new Date(exp * 1000).toISOString()}), before ` +
        `this repair is expected to end (~${minutesNeeded} min): ${hint}`,
    );
  }
}

async function cloudFor(
  o: { cloud?: string; armEndpoint?: string; caFile?: string },
  env: NodeJS.ProcessEnv,
  io: CommandContext["io"],
): Promise<SdkRepairCloud> {
  const c = await connection(o);
  // The cloud's token scope and authority; --ca-file adds to the system roots, never replaces them.
  return new SdkRepairCloud(await azureCredential(env, c.cloud), {
    endpoint: c.endpoint,
    ca: c.ca,
    scope: c.cloud.scope,
    onWait: (line) => io.stderr(`rdp-guard: ${line}\n`),
  });
}

export async function runRepair(o: RepairCliOptions, { io, env }: CommandContext): Promise<number> {
  const plan = await loadPlan(o.plan, o.maxAgeHours);
  const journalFile = o.journal ?? `rdp-guard-repair-${checkPlanId(plan.id)}.json`;
  const existing = await loadJournal(journalFile);
  const journal = initJournal(plan, existing);
  const targets = Object.values(journal.vms);
  if (targets.length === 0) {
    io.stdout("no VM in the plan needs offline repair\n");
    return 0;
  }
  if (o.dryRun) {
    for (const vm of targets) {
      const todo = REPAIR_STEPS.filter((s) => vm.steps[s]?.status !== "done");
      io.stdout(`${vm.name} (${vm.resourceGroup}): ${vm.status === "done" ? "already repaired" : todo.join(" -> ")}\n`);
    }
    return 0;
  }
  if (!o.yes)
    throw new InputError(
      "repair deallocates VMs and swaps their OS disks: pass --yes to go ahead (or --dry-run to see the steps)",
    );
  const pending = targets.filter((t) => t.status !== "done" && t.status !== "rolled-back").length;
  if (env.AZURE_ACCESS_TOKEN) checkTokenLifetime(env.AZURE_ACCESS_TOKEN, pending * MINUTES_PER_VM);
  const cloud = await cloudFor(o, env, io);
  const source = await fleetSource(o, env);
  const sel: Selection = {
    subscriptions: [...new Set(targets.map((t) => t.subscriptionId))],
    managementGroups: [],
    resourceGroups: [],
    tags: [],
  };
  let nics: Awaited<ReturnType<typeof source.query>> | undefined;
  const workflow = new RepairWorkflow(cloud, journal, plan, {
    journalFile,
    rescueVmSize: o.rescueVmSize,
    baseline: { rdpPort: plan.config.rdpPorts[0] },
    extensionName: o.extensionName,
    log: (l) => io.stdout(`${l}\n`),
    nicSubnet: async (nicId) => {
      nics ??= await source.query(typeQuery("microsoft.network/networkinterfaces"), sel);
      const nic = nics.find((n) => lower(n.id) === lower(nicId));
      const cfg = (
        nic?.properties?.ipConfigurations as { properties?: { subnet?: { id?: string } } }[] | undefined
      )?.[0];
      return cfg?.properties?.subnet?.id;
    },
  });
  const r = await workflow.runAll();
  io.stdout(`repaired ${r.done.length}, failed ${r.failed.length}; journal ${journalFile}\n`);
  for (const f of r.failed) io.stderr(`rdp-guard: ${f.error}\n`);
  return r.failed.length > 0 ? 1 : 0;
}

export async function runRollback(
  name: string,
  o: { journal: string; yes: boolean; cloud?: string; armEndpoint?: string; caFile?: string },
  { io, env }: CommandContext,
): Promise<number> {
  const journal = await loadJournal(o.journal);
  if (!journal) throw new InputError(`${o.journal}: no such journal`);
  const vm = Object.values(journal.vms).find(
    (v) => v.name.toLowerCase() === name.toLowerCase() || v.id.toLowerCase() === name.toLowerCase(),
  );
  if (!vm) throw new InputError(`${o.journal}: no VM '${name}' in this journal`);
  if (!o.yes)
    throw new InputError(
      `rollback deallocates ${vm.name} and swaps its OS disk back to ` +
        `${vm.facts.osDiskName ?? "the original"}: pass --yes`,
    );
  if (env.AZURE_ACCESS_TOKEN) checkTokenLifetime(env.AZURE_ACCESS_TOKEN, 15);
  try {
    io.stdout(`${await rollbackVm(await cloudFor(o, env, io), vm, journal, o.journal)}\n`);
  } catch (e) {
    if (!(e instanceof RepairError)) throw e;
    io.stderr(`rdp-guard: rollback ${e.message}\n`);
    return 1;
  }
  return 0;
}
