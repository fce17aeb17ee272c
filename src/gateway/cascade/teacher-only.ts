import { ApiError } from "../errors.ts";
import type { ClassifyResult } from "../schemas/classify.ts";
import type { TeacherFailureKind } from "../teacher-client/types.ts";
import { type TeacherSlot, teacherResult } from "./answer.ts";
import type { ModelTeacher } from "./model-teacher.ts";

/**
 * A model with no student yet: every text goes to its teacher, in one call. There is nothing to fall
 * back on, so when the teacher fails for any text the whole request is a 503 teacher_unavailable with
 * Retry-After — never a made-up label.
 */
export interface TeacherOnlyAnswer {
  slots: TeacherSlot[];
  results: ClassifyResult[];
  teacherMs: number;
}

/**
 * Seconds a client should wait: until the spent budget window resets, an open breaker's cooldown, else a
 * short pause.
 */
export function retryAfterSeconds(
  kind: TeacherFailureKind,
  breakerCooldownMs: number,
  budgetResetS?: number,
): number {
  if (kind === "budget" && budgetResetS !== undefined) return Math.max(1, Math.ceil(budgetResetS));
  if (kind === "breaker_open") return Math.max(1, Math.ceil(breakerCooldownMs / 1000));
  if (kind === "not_configured") return 300; // an operator has to act first
  return 5;
}

export async function answerFromTeacher(
  ask: (indices: readonly number[]) => Promise<TeacherSlot[]>,
  count: number,
  teacher: ModelTeacher,
): Promise<TeacherOnlyAnswer> {
  const started = performance.now();
  const slots = await ask(Array.from({ length: count }, (_, i) => i));
  const teacherMs = performance.now() - started;
  const results = slots.map((slot): ClassifyResult => {
    if (slot.kind !== "answer") {
      const reason = slot.kind === "failed" ? slot.reason : "bad_response";
      const resetS = slot.kind === "failed" ? slot.retryAfterS : undefined;
      const why =
        reason === "budget"
          ? "its teacher budget is spent until the window resets"
          : `its teacher (${teacher.protocol} ${teacher.model}) failed: ${reason}`;
      throw new ApiError(503, "teacher_unavailable", `the model has no student yet and ${why}`, {
        "retry-after": String(retryAfterSeconds(reason, teacher.breakerCooldownMs, resetS)),
      });
    }
    return teacherResult(slot, null);
  });
  return { slots, results, teacherMs };
}
