import type { AdminBindings } from "./admin/bindings.ts";
import type { BudgetBindings } from "./budget/bindings.ts";
import type { FeedbackBindings } from "./feedback/bindings.ts";
import type { HardLogBindings } from "./hard-example-log/bindings.ts";
import type { ClientAccessBindings } from "./middleware/api-key/config.ts";
import type { RegistryBindings } from "./registry/bindings.ts";
import type { TeacherBindings } from "./teacher-client/adapters.ts";

/**
 * What the Worker receives as `env`: plain-text variables (wrangler `[vars]`, `.dev.vars`, secrets) and
 * bindings. Every variable is optional and arrives as a string (or a number, from a TOML `[vars]`
 * table); config.ts validates and defaults them, so handlers never read `env` directly.
 */
export interface Env
  extends TeacherBindings,
    RegistryBindings,
    AdminBindings,
    HardLogBindings,
    FeedbackBindings,
    ClientAccessBindings,
    BudgetBindings {
  DEFAULT_MODEL?: string;
  MAX_TEXT_CHARS?: string | number;
  MAX_BATCH?: string | number;
  MAX_BODY_BYTES?: string | number;
  THRESHOLD_MIN?: string | number;
  THRESHOLD_MAX?: string | number;
  // USD per teacher call, for the money-saved figures (config.ts).
  TEACHER_PRICE_PER_CALL?: string | number;
  // The teacher's variables; src/gateway/teacher-client/config.ts (TeacherEnvSchema) defines their meaning.
  TEACHER_URL?: string;
  TEACHER_PROTOCOL?: string;
  TEACHER_MODEL?: string;
  TEACHER_API_KEY?: string;
  TEACHER_TIMEOUT_MS?: string | number;
  TEACHER_MAX_BODY_BYTES?: string | number;
  TEACHER_RETRIES?: string | number;
  TEACHER_MAX_CONCURRENCY?: string | number;
  BREAKER_FAILURES?: string | number;
  BREAKER_COOLDOWN_MS?: string | number;
  TEACHER_CACHE_TTL_S?: string | number;
  // Teacher budgets (src/gateway/budget/limits.ts): texts to the teacher per model and UTC hour / day,
  // and per client key; unset = no limit.
  TEACHER_BUDGET_PER_HOUR?: string | number;
  TEACHER_BUDGET_PER_DAY?: string | number;
  TEACHER_BUDGET_PER_CLIENT_PER_HOUR?: string | number;
  TEACHER_BUDGET_PER_CLIENT_PER_DAY?: string | number;
  // The model registry and its admin routes (src/gateway/registry, src/gateway/admin).
  REGISTRY_TTL_MS?: string | number;
  MAX_UPLOAD_BYTES?: string | number;
  // The hard-example log's audit sample rate and records per model per hour (hard-example-log/config.ts).
  AUDIT_RATE?: string | number;
  HARD_EXAMPLES_PER_HOUR?: string | number;
  // How long an answer can be found by its request id for feedback, in seconds (feedback/config.ts).
  FEEDBACK_WINDOW_S?: string | number;
  // How long an isolate gathers answer trail entries into one KV write, in ms (feedback/config.ts).
  FEEDBACK_BATCH_MS?: string | number;
  // Per-model redaction of what is logged and sent to the teacher (src/gateway/privacy/policy.ts).
  REDACTION?: string | Record<string, unknown>;
  // Telemetry (src/gateway/metrics/config.ts): JSON request log on/off (default on) and whether it
  // carries the (redacted) texts (default off); how long usage counts gather before going to D1 (ms,
  // default 2000, at most 25000, 0 = per request); the bearer token of GET /metrics (unset = open).
  LOG_REQUESTS?: string | boolean;
  LOG_TEXT?: string | boolean;
  USAGE_FLUSH_MS?: string | number;
  METRICS_TOKEN?: string;
  // Workers Analytics Engine dataset (wrangler.toml [[analytics_engine_datasets]]): one data point per
  // answered text when bound.
  ANALYTICS?: AnalyticsEngineDataset;
  // Client access (middleware/api-key/config.ts): "off" | "api-key"; the rate limit's period; CORS origins.
  CLIENT_AUTH?: string;
  RATE_LIMIT_PERIOD_S?: string | number;
  CORS_ORIGINS?: string;
}
