import { z } from "zod";

/**
 * FEEDBACK_WINDOW_S: how long the gateway keeps what feedback by request id needs (the answer trail,
 * trail.ts) — 24 hours by default; 0 keeps nothing, and feedback must then carry its text. KV expires an
 * entry no sooner than 60 s after its write, hence the lower bound; 30 days is the upper one.
 */
export const DEFAULT_FEEDBACK_WINDOW_S = 86_400;
const MIN_WINDOW_S = 60;
const MAX_WINDOW_S = 30 * 86_400;

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

export const FeedbackEnvSchema = z.object({
  FEEDBACK_WINDOW_S: WindowSeconds.default(DEFAULT_FEEDBACK_WINDOW_S),
});

export interface FeedbackConfig {
  /** Seconds an answer can be found by its request id; 0: never. */
  windowS: number;
}

export function feedbackConfig(vars: z.output<typeof FeedbackEnvSchema>): FeedbackConfig {
  return { windowS: vars.FEEDBACK_WINDOW_S };
}
