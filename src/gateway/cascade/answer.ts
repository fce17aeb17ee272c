import type { ClassifyResult } from "../schemas/classify.ts";
import type { TeacherAnswer, TeacherFailureKind, TeacherOutcome } from "../teacher-client/types.ts";
import type { StudentVerdict } from "./decide.ts";

/** What the teacher contributed for one text: nothing (not asked), an answer, or a failure. */
export type TeacherSlot =
  | { kind: "not_asked" }
  | { kind: "answer"; answer: TeacherAnswer; cached: boolean; latencyMs: number }
  | {
      kind: "failed";
      reason: TeacherFailureKind;
      /** For `budget`: seconds until the spent window resets. */
      retryAfterS?: number;
    };

/**
 * Spreads one outcome over the escalated texts. The port promises one answer per text with a label from
 * the model's set; an outcome that breaks that promise is treated as the failure it is ("bad_response",
 * "unknown_label"), so a misbehaving teacher degrades answers instead of corrupting them. When the teacher
 * failed but its cache held answers for some texts (`cachedAnswers`), those texts keep their cached answer.
 */
export function teacherSlots(
  outcome: TeacherOutcome,
  count: number,
  labels: readonly string[],
): TeacherSlot[] {
  const checked = (answer: TeacherAnswer, cached: boolean): TeacherSlot =>
    labels.includes(answer.label)
      ? { kind: "answer", answer, cached, latencyMs: outcome.latencyMs }
      : { kind: "failed", reason: "unknown_label" };
  if (!outcome.ok) {
    const fromCache = outcome.cachedAnswers?.length === count ? outcome.cachedAnswers : null;
    return Array.from({ length: count }, (_, i): TeacherSlot => {
      const hit = fromCache?.[i];
      if (hit) return checked(hit, true);
      const retry = outcome.retryAfterS;
      return { kind: "failed", reason: outcome.kind, ...(retry !== undefined ? { retryAfterS: retry } : {}) };
    });
  }
  if (outcome.answers.length !== count)
    return Array.from({ length: count }, () => ({ kind: "failed", reason: "bad_response" }));
  return outcome.answers.map((answer, i) => checked(answer, outcome.cached[i] === true));
}

/** The answer for one text: the teacher's when it answered, else the student's (degraded if the teacher failed). */
export function combine(student: StudentVerdict, slot: TeacherSlot): ClassifyResult {
  const studentPart = { label: student.label, confidence: student.confidence };
  switch (slot.kind) {
    case "not_asked":
      return {
        label: student.label,
        confidence: student.confidence,
        source: "student",
        student: studentPart,
      };
    case "failed":
      return {
        label: student.label,
        confidence: student.confidence,
        source: "student",
        degraded: true,
        reason: slot.reason,
        student: studentPart,
      };
    case "answer":
      return teacherResult(slot, studentPart);
  }
}

/** A text the teacher answered: its label, beside the student's when there is a student. */
export function teacherResult(
  slot: Extract<TeacherSlot, { kind: "answer" }>,
  student: ClassifyResult["student"],
): ClassifyResult {
  const { label, confidence } = slot.answer;
  return {
    label,
    confidence,
    source: slot.cached ? "cache" : "teacher",
    student,
    teacher: { label, confidence, latency_ms: slot.latencyMs },
  };
}
