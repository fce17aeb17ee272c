import type { HardExampleRecord } from "../../core/hard-example.ts";
import type { AnsweredBatch, AnswerListener } from "../answered.ts";
import type { TeacherSlot } from "../cascade/answer.ts";
import { askTeacher } from "../cascade/classify.ts";
import { type AppContext, waitUntilOf } from "../context.ts";
import { modeFor, type RedactionMode } from "../privacy/policy.ts";
import { sampleIndices } from "./audit.ts";
import { buildRecord, type RecordInput } from "./record.ts";
import { sendRecords } from "./send.ts";

/**
 * The hard-example log on the request side: a listener that turns what the cascade decided into records
 * on the HARD_EXAMPLES queue, texts redacted as the model's REDACTION says. Everything runs in
 * ctx.waitUntil, so logging never delays an answer, and every failure is caught and logged, so it never
 * becomes a 5xx. Without the queue binding nothing is logged (and nothing is audited: an audit nobody
 * records is wasted teacher time).
 */
export function hardExampleLog(c: AppContext): AnswerListener {
  const queue = c.env?.HARD_EXAMPLES;
  if (!queue) return () => {};
  const { config } = c.var.services;
  const { waitUntil } = waitUntilOf(c);
  const context: LogContext = {
    queue,
    requestId: c.var.requestId,
    auditRate: config.hardLog.auditRate,
    ...(waitUntil ? { waitUntil } : {}),
  };
  return (batch) => {
    try {
      const redaction = modeFor(config.redaction, batch.model.name);
      for (const work of logAnswered(batch, redaction, context)) {
        const guarded = work.catch((error: unknown) => console.error("hard examples: not logged:", error));
        // Without an execution context (app.request in tests) the work simply runs on.
        if (waitUntil) waitUntil(guarded);
      }
    } catch (error) {
      console.error("hard examples: not logged:", error);
    }
  };
}

interface LogContext {
  queue: Queue<unknown>;
  requestId: string;
  auditRate: number;
  waitUntil?(promise: Promise<unknown>): void;
}

/**
 * Starts the work for one request: the escalated texts' records at once, and the audit sample's once the
 * teacher has answered. The sample is drawn here, synchronously, inside the request.
 */
function logAnswered(batch: AnsweredBatch, redaction: RedactionMode, context: LogContext): Promise<void>[] {
  const at = new Date();
  // Escalated, degraded and no-student records are all logged (logged_p 1); audits at the audit rate.
  const base = (i: number, loggedP = 1) => ({
    model: batch.model,
    text: batch.texts[i]!,
    verdict: batch.verdicts?.[i] ?? null,
    requestId: context.requestId,
    at,
    redaction,
    loggedP,
  });
  const teacherOf = (slot: TeacherSlot & { kind: "answer" }) => ({
    answer: slot.answer,
    latencyMs: slot.latencyMs,
    protocol: batch.teacher.protocol,
  });
  const escalationReason =
    batch.verdicts === null ? "no_student" : batch.mode === "always" ? "teacher_always" : "below_threshold";

  const escalated: RecordInput[] = [];
  batch.slots.forEach((slot, i) => {
    if (slot.kind === "failed")
      escalated.push({ ...base(i), teacher: null, route: "degraded", reason: slot.reason });
    else if (slot.kind === "answer")
      escalated.push({
        ...base(i),
        teacher: teacherOf(slot),
        route: slot.cached ? "cache" : "teacher",
        reason: escalationReason,
      });
  });
  const work: Promise<void>[] = [];
  if (escalated.length > 0) work.push(send(context.queue, escalated));

  // Only "auto" answers are sampled: "never" is a client's request that the text not go to the teacher,
  // and under "always" every text already went.
  const confident =
    batch.mode === "auto" ? batch.slots.flatMap((s, i) => (s.kind === "not_asked" ? [i] : [])) : [];
  const sample = sampleIndices(confident, context.auditRate);
  if (sample.length > 0) {
    work.push(
      // The model's own teacher (REDACTION applies: its port is the redacting one).
      askTeacher(
        batch.teacher,
        batch.model,
        sample.map((i) => batch.texts[i]!),
        context,
      ).then((slots) => {
        const audited: RecordInput[] = [];
        slots.forEach((slot, j) => {
          if (slot.kind === "answer")
            audited.push({
              ...base(sample[j]!, context.auditRate),
              teacher: teacherOf(slot),
              route: "audit",
              reason: "audit_sample",
            });
        });
        // An audit the teacher could not answer says nothing about the student; it is not logged.
        if (audited.length < sample.length)
          console.warn(`hard examples: ${sample.length - audited.length} audit(s) unanswered by the teacher`);
        return audited.length > 0 ? send(context.queue, audited) : undefined;
      }),
    );
  }
  return work;
}

async function send(queue: Queue<unknown>, inputs: readonly RecordInput[]): Promise<void> {
  const records: HardExampleRecord[] = await Promise.all(inputs.map(buildRecord));
  await sendRecords(queue, records);
}
