import { createApp } from "./app.ts";
import type { Env } from "./bindings.ts";
import { decideCanaries } from "./evidence/decide.ts";
import { consumeHardExamples } from "./hard-example-log/consumer.ts";
import { BUNDLED_MODELS } from "./models/bundled.ts";
import { warmUpBundled } from "./models/warm-up.ts";

// The teacher budgets' counters (wrangler.toml [[durable_objects.bindings]] TEACHER_BUDGET).
export { TeacherBudget } from "./budget/counter.ts";

/** The Worker entry: the gateway app with its production wiring (bundled models, configured teacher). */
const app = createApp();

// Not awaited: the runtime and the bundled sessions start with the isolate, off the first request's path.
void warmUpBundled(BUNDLED_MODELS);

export default {
  fetch: app.fetch,
  // The consumer of the hard-examples queue (wrangler.toml [[queues.consumers]]): R2 JSONL + D1 index.
  async queue(batch, env) {
    await consumeHardExamples(batch, env);
  },
  // The canary decisions (wrangler.toml [triggers]): promote or roll back on the evidence in D1.
  async scheduled(_controller, env) {
    await decideCanaries(env);
  },
} satisfies ExportedHandler<Env>;
