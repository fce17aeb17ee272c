import { z } from "zod";
import { DEFAULT_MAX_BATCH, DEFAULT_MAX_TEXT_CHARS, type TextLimits } from "../core/text.ts";
import type { Env } from "./bindings.ts";
import { BudgetEnvSchema, type BudgetLimits, defaultLimits } from "./budget/limits.ts";
import { ApiError, describeIssues } from "./errors.ts";
import { type FeedbackConfig, FeedbackEnvSchema, feedbackConfig } from "./feedback/config.ts";
import { type HardLogConfig, HardLogEnvSchema, hardLogConfig } from "./hard-example-log/config.ts";
import { type MetricsConfig, MetricsEnvSchema, metricsConfig } from "./metrics/config.ts";
import {
  type ClientAccessConfig,
  ClientAccessEnvSchema,
  clientAccessConfig,
} from "./middleware/api-key/config.ts";
import { PrivacyEnvSchema, type RedactionPolicy } from "./privacy/policy.ts";
import { type TeacherConfig, TeacherEnvSchema } from "./teacher-client/config.ts";

/**
 * The gateway's configuration, read from `env` once per env object and validated by zod: a bad value
 * fails every request with a 500 `config_invalid` that names the variable, rather than serving with a
 * silently wrong limit.
 */

/** A variable that may arrive as a number (TOML `[vars]`) or a string (`.dev.vars`, dashboard, secrets). */
const numberVar = () =>
  z
    .union([z.number(), z.string().trim().min(1, "must not be empty").transform(Number)])
    .pipe(z.number().refine(Number.isFinite, "must be a finite number"));
const intVar = (fallback: number, min: number, max: number) =>
  numberVar().pipe(z.number().int().min(min).max(max)).default(fallback);

const GatewayVars = z
  .object({
    DEFAULT_MODEL: z.string().trim().min(1).default("clinc150"),
    MAX_TEXT_CHARS: intVar(DEFAULT_MAX_TEXT_CHARS, 1, 1_000_000),
    MAX_BATCH: intVar(DEFAULT_MAX_BATCH, 1, 4096),
    MAX_BODY_BYTES: intVar(65_536, 256, 100 * 1024 * 1024),
    // Bounds for a request's options.threshold. Every score kind (max_prob, margin, entropy, learned) lives in
    // [0, 1], so the defaults allow the whole range; narrow them to stop clients forcing every request to
    // the teacher (threshold 1) or none (threshold 0).
    THRESHOLD_MIN: numberVar().default(0),
    THRESHOLD_MAX: numberVar().default(1),
    // How long an isolate trusts the registry pointers it read (KV) before reading them again. At most
    // 30 s: the registry promises that a promotion reaches every gateway within 30 s without a redeploy.
    REGISTRY_TTL_MS: intVar(10_000, 0, 30_000),
    // The admin model upload (manifest + ONNX), apart from MAX_BODY_BYTES, which is for /v1 and /v2.
    MAX_UPLOAD_BYTES: intVar(16 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    // What one teacher call costs (USD), for the money-saved figures of /metrics and /admin/stats. The
    // default, $0.50 per 1,000 calls, is the one the benchmarks assume; set your provider's price.
    TEACHER_PRICE_PER_CALL: numberVar().pipe(z.number().min(0).max(1000)).default(0.0005),
  })
  .refine((v) => v.THRESHOLD_MIN <= v.THRESHOLD_MAX, {
    message: "THRESHOLD_MIN must not exceed THRESHOLD_MAX",
    path: ["THRESHOLD_MIN"],
  });

/** core/text.ts's text limits, and the body cap of /v1 and /v2. */
export interface Limits extends TextLimits {
  maxBodyBytes: number;
}

export interface ThresholdBounds {
  min: number;
  max: number;
}

export interface RegistryConfig {
  ttlMs: number;
  maxUploadBytes: number;
}

export interface CostConfig {
  /** USD per teacher call. */
  teacherPricePerCall: number;
}

export interface GatewayConfig {
  defaultModel: string;
  costs: CostConfig;
  limits: Limits;
  threshold: ThresholdBounds;
  teacher: TeacherConfig;
  registry: RegistryConfig;
  hardLog: HardLogConfig;
  /**
   * FEEDBACK_WINDOW_S: how long an answer can be found by its request id; FEEDBACK_BATCH_MS: how long an
   * isolate gathers the answer trail into one KV write (feedback/config.ts).
   */
  feedback: FeedbackConfig;
  /** REDACTION: per model, what the hard-example log, the request log and the teacher may see of a text. */
  redaction: RedactionPolicy;
  metrics: MetricsConfig;
  access: ClientAccessConfig;
  /** TEACHER_BUDGET_*: the teacher budget of every model whose definition does not set its own. */
  budget: BudgetLimits;
}

/** Validates one group of variables; a bad value is a 500 config_invalid naming the variable. */
function parseVars<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success)
    throw new ApiError(500, "config_invalid", `configuration: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

export function parseConfig(env: Env): GatewayConfig {
  const v = parseVars(GatewayVars, env);
  // Each part of the gateway defines its own variables, validated here with the rest so a bad value is
  // a config error like any other: the teacher's TEACHER_* (teacher-client/config.ts), the hard-example
  // log's AUDIT_RATE (hard-example-log/config.ts), feedback's FEEDBACK_WINDOW_S and FEEDBACK_BATCH_MS (feedback/config.ts),
  // privacy's REDACTION (privacy/policy.ts), client access's CLIENT_AUTH, RATE_LIMIT_PERIOD_S and
  // CORS_ORIGINS (middleware/api-key/config.ts), telemetry's LOG_REQUESTS, LOG_TEXT, USAGE_FLUSH_MS and
  // METRICS_TOKEN (metrics/config.ts); the teacher budgets' TEACHER_BUDGET_* (budget/limits.ts).
  const teacher = parseVars(TeacherEnvSchema, env);
  const hardLog = parseVars(HardLogEnvSchema, env);
  const feedback = parseVars(FeedbackEnvSchema, env);
  const privacy = parseVars(PrivacyEnvSchema, env);
  const access = parseVars(ClientAccessEnvSchema, env);
  const metrics = parseVars(MetricsEnvSchema, env);
  const budget = parseVars(BudgetEnvSchema, env);
  return {
    defaultModel: v.DEFAULT_MODEL,
    costs: { teacherPricePerCall: v.TEACHER_PRICE_PER_CALL },
    limits: { maxTextChars: v.MAX_TEXT_CHARS, maxBatch: v.MAX_BATCH, maxBodyBytes: v.MAX_BODY_BYTES },
    threshold: { min: v.THRESHOLD_MIN, max: v.THRESHOLD_MAX },
    teacher,
    registry: { ttlMs: v.REGISTRY_TTL_MS, maxUploadBytes: v.MAX_UPLOAD_BYTES },
    hardLog: hardLogConfig(hardLog),
    feedback: feedbackConfig(feedback),
    redaction: privacy.REDACTION,
    metrics: metricsConfig(metrics),
    access: clientAccessConfig(access),
    budget: defaultLimits(budget),
  };
}

// workerd hands the same env object to every request of an isolate, so parsing once per object is
// parsing once per isolate; a WeakMap keeps test apps with their own env objects apart.
const cache = new WeakMap<object, GatewayConfig>();

/** parseConfig, memoised per env object. Throws ApiError(500, "config_invalid"). */
export function configFor(env: Env | undefined): GatewayConfig {
  const key: object = env ?? NO_ENV;
  let config = cache.get(key);
  if (!config) {
    config = parseConfig(env ?? {});
    cache.set(key, config);
  }
  return config;
}
const NO_ENV = {};
