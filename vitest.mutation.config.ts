import { defineConfig } from "vitest/config";
import { nodeProject } from "./vitest.config.ts";

/**
 * The Node project alone, for StrykerJS (stryker.config.mjs): its vitest runner cannot host the workerd
 * pool (docs/mutation.md), so mutants are judged by the Node-project tests. APPRENTICE_MUTATION_RUN lets
 * the speed tests step aside, and the timeout grows: Stryker's instrumentation puts a counter on every
 * branch, which slows the numeric fits several times over.
 */
export default defineConfig({
  test: {
    projects: [
      {
        ...nodeProject,
        test: { ...nodeProject.test, env: { APPRENTICE_MUTATION_RUN: "1" }, testTimeout: 60_000 },
      },
    ],
  },
});
