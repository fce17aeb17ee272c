import { z } from "zod";
import type { TeacherProtocol } from "./types.ts";

/**
 * Teacher settings, read from the Worker's env (wrangler `[vars]` and secrets). Vars arrive as strings
 * (or as numbers when written unquoted in wrangler.toml), so numbers are coerced; an empty string counts
 * as unset, which lets a deployment blank a var without deleting it. Keys keep their env names so the
 * app can spread `TeacherEnvSchema.shape` into its own env schema.
 *
 * A missing teacher is not a configuration error: the gateway then answers from the student alone and
 * the client reports `not_configured`.
 */
const unset = (value: unknown) => (value === "" ? undefined : value);

const int = (fallback: number, min: number, max: number) =>
  z.preprocess(unset, z.coerce.number().int().min(min).max(max).default(fallback));

const text = () => z.preprocess(unset, z.string().trim().min(1).optional());

export const TEACHER_PROTOCOLS = [
  "kserve-v2",
  "openai",
  "http-json",
  "workers-ai",
] as const satisfies readonly TeacherProtocol[];

export const TeacherEnvSchema = z.object({
  /**
   * Base URL of the teacher. kserve-v2 and openai append their paths (`/v2/models/{model}/infer`,
   * `/v1/chat/completions`); http-json POSTs to it as given. Not used by workers-ai.
   */
  TEACHER_URL: z.preprocess(
    unset,
    z
      .url({ protocol: /^https?$/, error: "TEACHER_URL must be an http(s) URL" })
      .transform((url) => url.replace(/\/+$/, ""))
      .optional(),
  ),
  /** Wire protocol of the teacher. */
  TEACHER_PROTOCOL: z.preprocess(unset, z.enum(TEACHER_PROTOCOLS).default("kserve-v2")),
  /**
   * Model name on the teacher's side: the V2 model, the OpenAI model id, the Workers AI model
   * (e.g. `@cf/meta/llama-3.1-8b-instruct`, required for workers-ai). Default: the gateway model's name.
   */
  TEACHER_MODEL: text(),
  /** Secret. Sent as `Authorization: Bearer …` by openai, http-json and kserve-v2 when set. */
  TEACHER_API_KEY: text(),
  /** Deadline of one teacher call, retry and backoff included, in ms. */
  TEACHER_TIMEOUT_MS: int(1500, 1, 120_000),
  /**
   * The largest teacher answer read, in bytes; a bigger (or endless) body fails the call as `bad_response`
   * as soon as it passes this, instead of filling the isolate's memory.
   */
  TEACHER_MAX_BODY_BYTES: int(4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
  /** Retries after a network error or a 5xx, only while the deadline leaves room for one. */
  TEACHER_RETRIES: int(1, 0, 5),
  /** Teacher calls in flight per isolate and teacher; one more is refused as `overloaded` at once. */
  TEACHER_MAX_CONCURRENCY: int(16, 1, 1024),
  /** Consecutive failed calls that open the circuit breaker. */
  BREAKER_FAILURES: int(5, 1, 1000),
  /** How long an open breaker refuses calls before it lets one probe through, in ms. */
  BREAKER_COOLDOWN_MS: int(10_000, 1, 3_600_000),
  /** Lifetime of a cached teacher answer in seconds; 0 turns the cache off. */
  TEACHER_CACHE_TTL_S: int(3600, 0, 31_536_000),
});

export type TeacherConfig = z.output<typeof TeacherEnvSchema>;

/** Parses the teacher settings out of a Worker env (other keys are ignored). Throws a ZodError. */
export function parseTeacherConfig(env: Readonly<Record<string, unknown>>): TeacherConfig {
  return TeacherEnvSchema.parse(env);
}

/** The model name to ask the teacher for when serving `gatewayModel`. */
export function teacherModelFor(config: TeacherConfig, gatewayModel: string): string {
  return config.TEACHER_MODEL ?? gatewayModel;
}
