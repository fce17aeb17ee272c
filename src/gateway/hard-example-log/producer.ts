import type { HardExampleRecord } from "../../core/hard-example.ts";
import type { AnsweredBatch, AnswerListener } from "../answered.ts";
import type { TeacherSlot } from "../cascade/answer.ts";
import { askTeacher } from "../cascade/classify.ts";
import { type AppContext, afterResponse, clientOf, waitUntilOf } from "../context.ts";
import type { TeacherLabels } from "../evidence/listener.ts";
import { modeFor, type RedactionMode } from "../privacy/policy.ts";
import { sampleIndices } from "./audit.ts";
import { buildRecord, type RecordInput } from "./record.ts";
import type { HourlyRecordCap } from "./record-cap.ts";
import { sendRecords } from "./send.ts";

/**
 * The hard-example log on the request side: a listener that turns what the cascade decided into records
 * on the HARD_EXAMPLES queue, texts redacted as the model's REDACTION says. Everything runs in
 * ctx.waitUntil and in a later task than the answer (afterResponse), so logging never delays an answer
 * (redaction and hashing included), and every failure is caught and logged, so it never becomes a 5xx.
 * At most HARD_EXAMPLES_PER_HOUR records of a model per hour are logged (record-cap.ts). Without the
 * queue binding nothing is logged (and nothing is audited: an audit nobody records is wasted teacher time).
 */
export function hardExampleLog(
  c: AppContext,
  cap: HourlyRecordCap,
  teacherLabels?: TeacherLabels,
): AnswerListener {
  const queue = c.env?.HARD_EXAMPLES;
  if (!queue) return () => {};
  const { config } = c.var.services;
  const { waitUntil } = waitUntilOf(c);
  const shared = {
    queue,
    requestId: c.var.requestId,
    auditRate: config.hardLog.auditRate,
    admit: (model: string, wanted: number) => cap.admit(model, wanted, config.hardLog.recordsPerHour),
    ...(waitUntil ? { waitUntil } : {}),
    ...(teacherLabels ? { teacherLabels } : {}),
  };
  return (batch) => {
    try {
      // The audit's answer is cached for the client whose text it is, like its escalations. Read when the
      // answer is ready: the listener is made before the API key is checked.
      const context: LogContext = { ...shared, ...clientOf(c) };
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
  /** How many of `wanted` records of a model the hourly cap admits. */
  admit(model: string, wanted: number): number;
  waitUntil?(promise: Promise<unknown>): void;
  /** Told every teacher label (escalated texts, answered audits): the evidence for shadows and canaries. */
  teacherLabels?: TeacherLabels;
  client?: string;
}

/**
 * Starts the work for one request, all of it after the response: the escalated texts' records, and the
 * audit sample's once the teacher has answered. The sample is drawn here, synchronously, inside the
 * request, and both are admitted by the hourly cap here (an audit counts when it is asked).
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
  // Every escalated text the teacher answered is evidence, logged or not (the cap bounds records only).
  context.teacherLabels?.(
    batch,
    "escalated",
    batch.slots.flatMap((slot, index) =>
      slot.kind === "answer" ? [{ index, label: slot.answer.label }] : [],
    ),
  );
  const work: Promise<void>[] = [];
  const admitted = escalated.slice(0, context.admit(batch.model.name, escalated.length));
  if (admitted.length > 0) work.push(afterResponse().then(() => send(context.queue, admitted)));

  // Only "auto" answers are sampled: "never" is a client's request that the text not go to the teacher,
  // and under "always" every text already went.
  const confident =
    batch.mode === "auto" ? batch.slots.flatMap((s, i) => (s.kind === "not_asked" ? [i] : [])) : [];
  const drawn = sampleIndices(confident, context.auditRate);
  // Over the cap an audit is not even asked: its record could not be kept.
  const sample = drawn.slice(0, context.admit(batch.model.name, drawn.length));
  if (sample.length > 0) {
    work.push(
      // The model's own teacher (REDACTION applies: its port is the redacting one).
      afterResponse()
        .then(() =>
          askTeacher(
            batch.teacher,
            batch.model,
            sample.map((i) => batch.texts[i]!),
            context,
          ),
        )
        .then((slots) => {
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
          context.teacherLabels?.(
            batch,
            "audit",
            slots.flatMap((slot, j) =>
              slot.kind === "answer" ? [{ index: sample[j]!, label: slot.answer.label }] : [],
            ),
          );
          // An audit the teacher could not answer says nothing about the student; it is not logged.
          if (audited.length < sample.length)
            console.warn(
              `hard examples: ${sample.length - audited.length} audit(s) unanswered by the teacher`,
            );
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
