import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Policy-pack and CLI tests spawn processes; two cores are shared with them.
    maxWorkers: 2,
  },
});
