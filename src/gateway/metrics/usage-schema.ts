import { z } from "zod";
import { ANSWER_SOURCES, ENDPOINTS } from "./events.ts";

/**
 * The "usage" message: an isolate's answer counts and routing-score histogram since its last flush,
 * sent on the hard-examples queue and written to D1 (usage_counts, usage_scores; see
 * migrations/0002_usage.sql) by the queue consumer. One schema for the producer and the consumer; it
 * mirrors the tables' CHECK constraints, so a message that validates is one D1 accepts.
 */
export const USAGE_KIND = "usage";
export const SCORE_BINS = 20;
/** Rows per message (counts and scores together): keeps a message far below Queues' 128 KB. */
export const MAX_USAGE_ROWS = 250;

/** The UTC hour of an instant, as the first 13 characters of toISOString(): 2026-11-29T11. */
export const hourOf = (at: Date | number): string => new Date(at).toISOString().slice(0, 13);
const Hour = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}$/, "must be a UTC hour such as 2026-11-29T11");
const Name = z.string().min(1);
const Count = z.number().int().positive();

export const UsageCount = z.strictObject({
  hour: Hour,
  model: Name,
  version: Name,
  endpoint: z.enum(ENDPOINTS),
  source: z.enum(ANSWER_SOURCES),
  n: Count,
});
export type UsageCount = z.infer<typeof UsageCount>;

export const UsageScore = z.strictObject({
  hour: Hour,
  model: Name,
  version: Name,
  bin: z
    .number()
    .int()
    .min(0)
    .max(SCORE_BINS - 1),
  n: Count,
});
export type UsageScore = z.infer<typeof UsageScore>;

export const UsageMessage = z
  .strictObject({
    kind: z.literal(USAGE_KIND),
    /** Unique per message: the tables' primary keys start with it, so a redelivery adds nothing. */
    flush_id: z.uuid(),
    counts: z.array(UsageCount),
    scores: z.array(UsageScore),
  })
  .refine((m) => m.counts.length + m.scores.length <= MAX_USAGE_ROWS, {
    message: `at most ${MAX_USAGE_ROWS} rows per message`,
  });
export type UsageMessage = z.infer<typeof UsageMessage>;

/** Whether a queue message claims to be a usage message (whether it is one is UsageMessage's to say). */
export function isUsageKind(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === USAGE_KIND;
}

/** bin = min(19, floor(score × 20)), scores outside [0, 1] clamped. */
export function scoreBin(score: number): number {
  if (!Number.isFinite(score)) return 0;
  return Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(score * SCORE_BINS)));
}
