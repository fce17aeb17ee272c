import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { wranglerModules } from "./test/helpers/wrangler-modules.ts";

/**
 * Two projects, split by file name:
 * - "node":    `*.test.ts` under src/ and test/node/ — toolkit, teacher server, core maths (Node pool).
 * - "workerd": `*.workerd.test.ts` under src/, and everything under test/workerd/ — runs inside workerd
 *              through @cloudflare/vitest-pool-workers, with the bindings and module rules of wrangler.toml.
 */
const WORKERD_TESTS = ["src/**/*.workerd.test.ts", "test/workerd/**/*.test.ts"];

/** The Node project on its own; vitest.mutation.config.ts runs only this one. */
export const nodeProject = {
  plugins: [wranglerModules()],
  test: {
    name: "node",
    include: ["src/**/*.test.ts", "test/node/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/*.workerd.test.ts"],
    environment: "node" as const,
    // The real local teacher servers, also for test/node/teacher-client.test.ts (the workerd specs in Node).
    globalSetup: ["test/workerd/global-setup.ts"],
  },
};

export default defineConfig({
  test: {
    projects: [
      nodeProject,
      {
        plugins: [
          cloudflareTest(async () => ({
            // wrangler.toml also supplies the module `rules` (*.wasm → CompiledWasm, *.onnx → Data): the
            // pool turns them into miniflare modulesRules for imports the test runner resolves.
            wrangler: { configPath: "./wrangler.toml" },
            // Tests must never reach Cloudflare: no remote proxy sessions.
            remoteBindings: false,
            // The D1 migrations, for tests to apply with applyD1Migrations(env.DB, env.TEST_MIGRATIONS).
            // TEST_RATE_LIMITER: a rate-limiting binding with a limit small enough for the per-key tests.
            miniflare: {
              bindings: { TEST_MIGRATIONS: await readD1Migrations("migrations") },
              ratelimits: { TEST_RATE_LIMITER: { simple: { limit: 3, period: 10 } } },
            },
          })),
        ],
        test: {
          name: "workerd",
          include: WORKERD_TESTS,
          // Real local teacher servers (Node) for the adapters to talk to; see the file.
          globalSetup: ["test/workerd/global-setup.ts"],
          // A cold onnxruntime-web session in workerd takes a fraction of a second; leave headroom for CI.
          testTimeout: 30_000,
        },
      },
    ],
  },
});
