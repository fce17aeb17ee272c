import { z } from "zod";

/**
 * The feedback record (contract, docs/architecture.md "Feedback"): a client's true label for one answered
 * text. It travels the hard-example queue (`kind: "feedback"`), is kept as JSONL in R2 and as one row per
 * id in D1 (migrations/0004_feedback.sql), and is what `GET /admin/feedback` streams to the toolkit,
 * where its label outranks the teacher's. Written by the Worker, read by the toolkit: one schema.
 */
export const FEEDBACK_KIND = "feedback";

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const AnswerSource = z.enum(["student", "teacher", "cache", "degraded"]);

export const FeedbackRecord = z
  .object({
    kind: z.literal(FEEDBACK_KIND),
    /**
     * What a repeat replaces: SHA-256 of the model and the request id and text index when the feedback
     * names an answer, else of the model and the example id.
     */
    id: Hex64,
    /** The hard-example id of the text (SHA-256 of model and normalised redacted text): joins the log. */
    example_id: Hex64,
    /** When the feedback was received. */
    ts: z.iso.datetime(),
    model: z.string().min(1),
    /** The version that answered; null for feedback given by text alone. */
    version: z.string().min(1).nullable(),
    /** The text after redaction, as the hard-example log would hold it. */
    text: z.string(),
    redactions: z.record(z.string(), z.number().int().nonnegative()),
    /** The true label, one of the model's labels. */
    label: z.string().min(1),
    request_id: z.string().nullable(),
    /** The text's place in its request's batch; null for feedback given by text alone. */
    index: z.number().int().nonnegative().nullable(),
    /** Who answered and what the student and the teacher said, when the answer is known. */
    source: AnswerSource.nullable(),
    student_label: z.string().nullable(),
    teacher_label: z.string().nullable(),
    /**
     * The label a shadow version gave the same text, when the request was in its share (the gateway
     * counts the shadow's accuracy from it); absent in records written before shadows kept labels.
     */
    shadow: z
      .strictObject({ version: z.string().min(1), label: z.string() })
      .nullable()
      .optional(),
  })
  .strict();
export type FeedbackRecord = z.infer<typeof FeedbackRecord>;

/** True for a queue message that claims to be feedback (validated by FeedbackRecord next). */
export function isFeedbackKind(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === FEEDBACK_KIND;
}

/** The newest feedback label per example id: what training takes as the text's true label. */
export function latestLabels(records: Iterable<FeedbackRecord>): Map<string, FeedbackRecord> {
  const latest = new Map<string, FeedbackRecord>();
  for (const record of records) {
    const seen = latest.get(record.example_id);
    if (!seen || Date.parse(record.ts) >= Date.parse(seen.ts)) latest.set(record.example_id, record);
  }
  return latest;
}
