import type { Env } from "../bindings.ts";
import type { GatewayConfig } from "../config.ts";
import { createTeacherClient } from "../teacher-client/client.ts";
import type { BreakerState } from "../teacher-client/guard.ts";
import type { AskOptions, TeacherOutcome, TeacherQuery } from "../teacher-client/types.ts";

/**
 * The only way the cascade reaches a teacher. The teacher side's client (src/gateway/teacher-client/client.ts)
 * implements it with adapters, deadline, retry, breaker, concurrency cap and answer cache. Contract:
 * `ask` never rejects; every failure is an outcome with ok: false; an ok outcome has one answer and one
 * `cached` flag per query text, in order.
 */
export interface TeacherPort {
  ask(query: TeacherQuery, options?: AskOptions): Promise<TeacherOutcome>;
  /** For GET /metrics: a teacher model's circuit breaker in this isolate (the production client has one). */
  breakerState?(model?: string): BreakerState;
}

/**
 * Builds the port for an env. The app calls it at most once per env object (once per isolate in workerd)
 * and reuses the port.
 */
export type TeacherFactory = (env: Env, config: GatewayConfig) => TeacherPort;

/** The production wiring: the resilient client over the configured protocol (TEACHER_* variables). */
export const defaultTeacher: TeacherFactory = (env, config) => createTeacherClient(config.teacher, env);
