import { z } from "zod";

/**
 * The hard-example record (contract, docs/architecture.md "The hard-example record"): one JSON object per line in R2, one row per id in the
 * D1 index, and what `GET /admin/hard-examples` streams to the distill toolkit. Written by the Worker,
 * read by the toolkit: one schema for both.
 */
export const HardExampleRoute = z.enum(["teacher", "degraded", "cache", "audit"]);
export type HardExampleRoute = z.infer<typeof HardExampleRoute>;

const Probability = z.number().min(0).max(1);

export const HardExampleRecord = z
  .object({
    /** SHA-256 (hex) of model name and normalised text: the same text for the same model is one example. */
    id: z.string().regex(/^[0-9a-f]{64}$/),
    /** ISO 8601 time the request was answered. */
    ts: z.iso.datetime(),
    model: z.string().min(1),
    version: z.string().min(1),
    /** The text after redaction. */
    text: z.string(),
    /** What redaction removed, by kind (e.g. {"email": 1}). */
    redactions: z.record(z.string(), z.number().int().nonnegative()),
    /** What the student said; null when the model had no student yet (every answer was the teacher's). */
    student: z
      .object({ label: z.string(), confidence: Probability, probs: z.array(Probability) })
      .strict()
      .nullable(),
    teacher: z
      .object({
        label: z.string(),
        confidence: Probability,
        probs: z.array(Probability).nullable().optional(),
        protocol: z.string(),
        latency_ms: z.number().nonnegative(),
      })
      .strict()
      .nullable(),
    route: HardExampleRoute,
    /** Why it was logged: the routing reason, or the failure kind of a degraded answer. */
    reason: z.string(),
    request_id: z.string(),
    /**
     * The probability that this answer was logged: 1 for escalated, degraded and no-student records, the
     * audit rate for audit samples. Estimates over records weight each by its inverse. Absent in records
     * written before the field existed (read as 1).
     */
    logged_p: z.number().gt(0).max(1).optional(),
  })
  .strict();
export type HardExampleRecord = z.infer<typeof HardExampleRecord>;

/**
 * Inverse-probability (Horvitz–Thompson) weight of a logged record: 1 / P(logged). Logged records
 * over-represent hard cases once a student is live; every estimate over them (agreement, teacher rate,
 * the routing fit, the gate) weights each record by this, so it speaks for the traffic, not the log.
 */
export function weightOf(record: Pick<HardExampleRecord, "logged_p">): number {
  return 1 / (record.logged_p ?? 1);
}
