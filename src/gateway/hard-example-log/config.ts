import { z } from "zod";

/**
 * The hard-example log's variable, validated with the rest of the configuration (config.ts):
 * AUDIT_RATE, the share of confident student answers also sent to the teacher in the background and
 * logged with route "audit" (an unbiased sample of the student's live accuracy); HARD_EXAMPLES_PER_HOUR,
 * the per-model bound on records (record-cap.ts). What the log may hold
 * of a text is REDACTION's to say (privacy/policy.ts).
 */
const Rate = z
  .union([z.number(), z.string().trim().min(1, "must not be empty").transform(Number)])
  .pipe(z.number().min(0, "must be in [0, 1]").max(1, "must be in [0, 1]"));

const PerHour = z
  .union([z.number(), z.string().trim().min(1, "must not be empty").transform(Number)])
  .pipe(z.number().int("must be a whole number").min(1, "must be at least 1"));

export const HardLogEnvSchema = z.object({
  AUDIT_RATE: Rate.default(0.02),
  // At most this many records per model per UTC hour in one isolate (record-cap.ts).
  HARD_EXAMPLES_PER_HOUR: PerHour.default(10_000),
});

export interface HardLogConfig {
  auditRate: number;
  recordsPerHour: number;
}

export function hardLogConfig(vars: z.output<typeof HardLogEnvSchema>): HardLogConfig {
  return { auditRate: vars.AUDIT_RATE, recordsPerHour: vars.HARD_EXAMPLES_PER_HOUR };
}
