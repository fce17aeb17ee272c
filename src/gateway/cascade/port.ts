import type { AskOptions, BreakerState, TeacherOutcome, TeacherQuery } from "../teacher-client/types.ts";

/**
 * The only way the cascade reaches a teacher. The teacher side's client (src/gateway/teacher-client/client.ts)
 * implements it with adapters, deadline, retry, breaker, concurrency cap and answer cache; decorators such
 * as the privacy one (src/gateway/privacy/teacher.ts) wrap it. Contract: `ask` never rejects; every failure
 * is an outcome with ok: false; an ok outcome has one answer and one `cached` flag per query text, in order.
 */
export interface TeacherPort {
  ask(query: TeacherQuery, options?: AskOptions): Promise<TeacherOutcome>;
  /** For GET /metrics: a teacher model's circuit breaker in this isolate (the production client has one). */
  breakerState?(model?: string): BreakerState;
}
