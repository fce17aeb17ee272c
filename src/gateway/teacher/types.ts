/**
 * The contract between the router and the teacher side of the gateway. Adapters speak one wire
 * protocol each; the resilient client wraps an adapter with deadline, retry, circuit breaker,
 * concurrency cap and the answer cache, and never throws: every failure is a typed outcome, so a
 * request whose teacher fails is still answered by the student (degraded).
 */
export type TeacherProtocol = "kserve-v2" | "openai" | "http-json" | "workers-ai";

/** One text to classify with the label set it must answer from. */
export interface TeacherQuery {
  /** Model name on the teacher's side (TEACHER_MODEL, or the gateway's model name). */
  model: string;
  /** The gateway model's labels: an answer outside this set is a failure. */
  labels: readonly string[];
  texts: readonly string[];
}

export interface TeacherAnswer {
  label: string;
  /** Probability of `label`, in [0, 1]. */
  confidence: number;
  /** Full distribution over `labels` when the protocol gives one. */
  probs: number[] | null;
}

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
  | "not_configured";

export class TeacherError extends Error {
  constructor(
    readonly kind: TeacherFailureKind,
    message: string,
  ) {
    super(message);
    this.name = "TeacherError";
  }
}

export type TeacherOutcome =
  | { ok: true; answers: TeacherAnswer[]; latencyMs: number; cached: boolean[] }
  | { ok: false; kind: TeacherFailureKind; message: string; latencyMs: number };
