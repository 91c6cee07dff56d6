import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, loadConfig } from "../src/config";
import { resolveOptions } from "../src/baseline/options";
import { InputError, UserError, isUserError } from "../src/errors";
import { parseJsonText } from "../src/formats/json-source";
import { RemediationPlan } from "../src/fleet/plan";
import { initJournal } from "../src/fleet/repair/workflow";

/** The errors the CLI must print as one line (exit 2) come from the one errors module. */
describe("errors module", () => {
  const plan = (id: string): RemediationPlan => ({
    version: 1,
    kind: "rdp-guard-plan",
    id,
    createdAt: "2026-01-01T00:00:00Z",
    auditGeneratedAt: "2026-01-01T00:00:00Z",
    config: DEFAULT_CONFIG,
    vms: [],
    nsgFixes: [],
  });
  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    throw new Error("expected a throw");
  };

  it("a journal of another plan is a user error naming both plans, not an internal error", () => {
    const other = initJournal(plan("plan-a"), undefined);
    const e = thrown(() => initJournal(plan("plan-b"), other));
    expect(isUserError(e)).toBe(true);
    expect((e as Error).message).toContain("plan plan-a, not plan-b");
  });

  it("input, config and baseline errors are user errors; a plain Error is not", () => {
    expect(isUserError(thrown(() => parseJsonText("x.json", "{")))).toBe(true);
    expect(thrown(() => parseJsonText("x.json", "{"))).toBeInstanceOf(InputError);
    expect(isUserError(thrown(() => loadConfig({ rdpPorts: "3389" }, "rdp-guard.json")))).toBe(true);
    expect(isUserError(thrown(() => resolveOptions({ rdpPort: 0 })))).toBe(true);
    expect(isUserError(new Error("bug"))).toBe(false);
    expect(new InputError("x")).toBeInstanceOf(UserError);
  });
});
