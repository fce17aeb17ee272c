// @ts-check
/**
 * `npm run test:mutation` (docs/mutation.md): StrykerJS over the modules issue 16 names, judged by the
 * Node-project tests (vitest.mutation.config.ts); Stryker's vitest runner cannot host the workerd pool.
 * Slow and CPU-heavy, so not in CI. One module at a time:
 *   npx stryker run --mutate 'src/gateway/privacy/**\/*.ts,!src/gateway/privacy/**\/*.test.ts'
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
    "src/gateway/teacher-client/config.ts",
    "src/gateway/teacher-client/openai-logprobs.ts",
    "src/gateway/privacy/*.ts",
    "src/gateway/registry/model-definition.ts",
    "src/gateway/middleware/admin-auth/*.ts",
    "src/distill/calibrate/*.ts",
    "!**/*.test.ts",
    "!**/*.workerd.test.ts",
    "!src/distill/calibrate/testing.ts",
  ],
  coverageAnalysis: "perTest",
  concurrency: 2,
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".stryker-tmp",
  thresholds: { high: 90, low: 80, break: null },
};
