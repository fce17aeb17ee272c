import { z } from "zod";

/**
 * FEEDBACK_WINDOW_S: how long the gateway keeps what feedback by request id needs (the answer trail,
 * trail.ts) — 24 hours by default; 0 keeps nothing, and feedback must then carry its text. KV expires an
 * entry no sooner than 60 s after its write, hence the lower bound; 30 days is the upper one.
 *
 * FEEDBACK_BATCH_MS: how long an isolate gathers the trail entries of the request ids it issued into one
 * KV write (trail-batch.ts) — 250 ms by default, 0 writes every answer on its own. Bounded at 5 s: the
 * write runs in the requests' ctx.waitUntil, and until it lands other isolates cannot find those answers.
 */
export const DEFAULT_FEEDBACK_WINDOW_S = 86_400;
const MIN_WINDOW_S = 60;
const MAX_WINDOW_S = 30 * 86_400;

export const DEFAULT_FEEDBACK_BATCH_MS = 250;
const MAX_BATCH_MS = 5000;

const WindowSeconds = z
  .union([z.number(), z.string().trim().min(1, "must not be empty").transform(Number)])
  .pipe(
    z
      .number()
      .int("must be a whole number of seconds")
      .refine(
        (s) => s === 0 || (s >= MIN_WINDOW_S && s <= MAX_WINDOW_S),
        `must be 0 (off) or between ${MIN_WINDOW_S} and ${MAX_WINDOW_S} seconds`,
      ),
  );

const BatchMs = z
  .union([z.number(), z.string().trim().min(1, "must not be empty").transform(Number)])
  .pipe(z.number().int("must be a whole number of milliseconds").min(0).max(MAX_BATCH_MS));

export const FeedbackEnvSchema = z.object({
  FEEDBACK_WINDOW_S: WindowSeconds.default(DEFAULT_FEEDBACK_WINDOW_S),
  FEEDBACK_BATCH_MS: BatchMs.default(DEFAULT_FEEDBACK_BATCH_MS),
});

export interface FeedbackConfig {
  /** Seconds an answer can be found by its request id; 0: never. */
  windowS: number;
  /** Milliseconds an isolate gathers trail entries into one KV write; 0: one write per answer. */
  batchMs: number;
}

export function feedbackConfig(vars: z.output<typeof FeedbackEnvSchema>): FeedbackConfig {
  return { windowS: vars.FEEDBACK_WINDOW_S, batchMs: vars.FEEDBACK_BATCH_MS };
}
