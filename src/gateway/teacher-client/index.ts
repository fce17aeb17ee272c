/** The teacher side of the gateway: configuration, the resilient client and the protocol adapters. */
export { createAdapter, type TeacherBindings } from "./adapters.ts";
export { createTeacherClient, type TeacherClient } from "./client.ts";
export {
  parseTeacherConfig,
  TEACHER_PROTOCOLS,
  type TeacherConfig,
  TeacherEnvSchema,
  teacherModelFor,
} from "./config.ts";
export type { BreakerState } from "./guard.ts";
export * from "./types.ts";
export type { AiBinding } from "./workers-ai.ts";
