// @ts-check
/**
 * `npm run test:mutation` (docs/mutation.md): StrykerJS over the modules issue 16 names, judged by the
 * Node-project tests (vitest.mutation.config.ts); Stryker's vitest runner cannot host the workerd pool.
 * Slow and CPU-heavy, so not in CI. One module at a time (docs/mutation.md lists the commands):
 *   npm run test:mutation -- --mutate 'src/gateway/privacy/*.ts,!src/gateway/privacy/*.test.ts'
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts", related: true },
  // Off by default: on a shared 2-core machine the checker made a 3-file run miss 10 minutes (1.5 min
  // without it). Opt in with `--checkers typescript` to drop type-invalid mutants before testing.
  checkers: [],
  tsconfigFile: "tsconfig.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [
    "src/gateway/cascade/decide.ts",
    "src/gateway/teacher-client/*.ts",
    "src/gateway/privacy/*.ts",
    "src/gateway/registry/*.ts",
    "src/gateway/middleware/admin-auth/*.ts",
    "src/gateway/middleware/api-key/*.ts",
    "src/distill/calibrate/*.ts",
    "!**/*.test.ts",
    "!**/*.workerd.test.ts",
    "!src/distill/calibrate/testing.ts",
    // Workerd only: the Cache API has no Node implementation (docs/mutation.md).
    "!src/gateway/teacher-client/cache.ts",
  ],
  coverageAnalysis: "perTest",
  // A mutant in code that runs at import (module-level constants) needs every test rerun and a module
  // reload the vitest runner does not reliably do: such mutants are reported as "Ignored", not run.
  ignoreStatic: true,
  concurrency: 2,
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  thresholds: { high: 90, low: 80, break: null },
};
