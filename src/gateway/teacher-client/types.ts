/**
 * The contract between the cascade and the teacher side of the gateway. Adapters speak one wire
 * protocol each; the resilient client wraps an adapter with deadline, retry, circuit breaker,
 * concurrency cap and the answer cache, and never throws: every failure is a typed outcome, so a
 * request whose teacher fails is still answered by the student (degraded).
 */
import type { FeaturizerConfig } from "../../core/featurizer.ts";

export type TeacherProtocol = "kserve-v2" | "openai" | "http-json" | "workers-ai";

/** One text to classify with the label set it must answer from. */
export interface TeacherQuery {
  /** Model name on the teacher's side (TEACHER_MODEL, or the gateway's model name). */
  model: string;
  /** The gateway model's labels: an answer outside this set is a failure. */
  labels: readonly string[];
  texts: readonly string[];
  /** Where answers may be cached; without it the answer cache is not used for this query. */
  cache?: TeacherCacheScope;
}

/**
 * The gateway model whose teacher answers a cache entry holds. The version is part of the key, so a new
 * model version never sees answers given for an old label set.
 */
export interface TeacherCacheScope {
  /** Gateway model name and version (not the teacher's). */
  model: string;
  version: string;
  /**
   * How a text is normalised into its key: pass the model's featuriser settings, so the key matches the
   * hard-example id. Default: NFKC, case kept, whitespace collapsed.
   */
  normalization?: Pick<FeaturizerConfig, "normalization" | "lowercase">;
  /**
   * Who asked: the client's API key id. Entries are per client, so a cached answer (and its speed)
   * never tells one client what another sent. Absent: the one partition of requests without a key.
   */
  client?: string;
}

/** How one `ask` may reach past its request. */
export interface AskOptions {
  /**
   * `ctx.waitUntil` of the request: cache writes then finish after the response is sent. Without it the
   * client awaits them before answering.
   */
  waitUntil?(promise: Promise<unknown>): void;
  /**
   * The model's teacher budget (src/gateway/budget): asked once per call, for every text the cache did
   * not answer, when the breaker and the concurrency cap have let the call through and before anything
   * is sent; a refusal fails the call as `budget`. Absent: no budget.
   */
  budget?: BudgetGate;
}

/** A teacher budget's answer to one call's reservation of `count` texts. */
export type BudgetVerdict =
  | { granted: true }
  | {
      granted: false;
      message: string;
      /** Seconds until the spent window resets. */
      retryAfterS: number;
    };

export interface BudgetGate {
  reserve(count: number): Promise<BudgetVerdict>;
}

export interface TeacherAnswer {
  label: string;
  /**
   * Probability of `label`, in [0, 1]. A teacher that answers a bare label (no probabilities, no
   * logprobs) is taken as one-hot: confidence 1 and probs null.
   */
  confidence: number;
  /** Full distribution over `labels` when the protocol gives one. */
  probs: number[] | null;
}

/** Per-call options of the teacher port. */
export interface AskOptions {
  /**
   * `ctx.waitUntil` of the request: work such as cache writes then finishes after the response is sent.
   * Without it the client awaits that work before answering.
   */
  waitUntil?(promise: Promise<unknown>): void;
}

/** A teacher model's circuit breaker in this isolate (closed: calls go through; open: they fail fast). */
export type BreakerState = "closed" | "open" | "half_open";

export interface TeacherAdapter {
  readonly protocol: TeacherProtocol;
  /** One call to the teacher; throws TeacherError on any failure. The signal carries the deadline. */
  classify(query: TeacherQuery, signal: AbortSignal): Promise<TeacherAnswer[]>;
}

export type TeacherFailureKind =
  | "timeout"
  | "network"
  | "http_5xx"
  | "http_4xx"
  | "bad_response"
  | "unknown_label"
  | "breaker_open"
  | "overloaded"
  | "not_configured"
  | "budget";

export class TeacherError extends Error {
  constructor(
    readonly kind: TeacherFailureKind,
    message: string,
    /** HTTP status of the teacher's answer, for http_4xx / http_5xx. */
    readonly status?: number,
    /** For `budget`: seconds until the spent window resets. */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = "TeacherError";
  }
}

export type TeacherOutcome =
  | { ok: true; answers: TeacherAnswer[]; latencyMs: number; cached: boolean[] }
  | {
      ok: false;
      kind: TeacherFailureKind;
      message: string;
      latencyMs: number;
      /** For `budget`: seconds until the spent window resets. */
      retryAfterS?: number;
      /**
       * Answers the cache held for some of the texts (null where it held none), so a caller may still
       * use them when the teacher failed for the rest. Absent when the cache was not consulted.
       */
      cachedAnswers?: (TeacherAnswer | null)[];
    };
