import { z } from "zod";
import type { AnsweredBatch } from "../answered.ts";
import { forLog, type RedactionMode } from "../privacy/policy.ts";

/**
 * An answer trail entry (trail.ts): what feedback by request id needs of one answered request. Per text
 * the text *redacted as the log would hold it*, who answered and the student's and teacher's labels,
 * with the model and version, and on a request in a shadow's share the shadow's labels
 * (evidence/shadow.ts). No probabilities, no raw text.
 */
const AnswerSource = z.enum(["student", "teacher", "cache", "degraded"]);

export const TrailAnswer = z.strictObject({
  text: z.string(),
  redactions: z.record(z.string(), z.number().int().nonnegative()),
  source: AnswerSource,
  student_label: z.string().nullable(),
  teacher_label: z.string().nullable(),
});
export type TrailAnswer = z.infer<typeof TrailAnswer>;

export const TrailEntry = z
  .strictObject({
    model: z.string().min(1),
    version: z.string().min(1),
    answers: z.array(TrailAnswer).min(1),
    /** The shadow's label per text, on a request in its share: feedback then counts for it too. */
    shadow: z.strictObject({ version: z.string().min(1), labels: z.array(z.string()) }).optional(),
  })
  .refine((e) => e.shadow === undefined || e.shadow.labels.length === e.answers.length, {
    message: "shadow labels: one per answer",
  });
export type TrailEntry = z.infer<typeof TrailEntry>;

/** The trail's name for a client: its API key id, "-" without keys. */
export const clientName = (client: string | undefined) => client ?? "-";

/**
 * The KV key of a request's own entry. The client is part of it, so one client can neither read nor
 * overwrite what another's request ids name.
 */
export const trailKey = (client: string | undefined, requestId: string) =>
  `answer/${clientName(client)}/${requestId}`;

/** The entry a request leaves, texts redacted under the model's REDACTION mode. */
export function trailEntry(
  batch: AnsweredBatch,
  redaction: RedactionMode,
  // The shadow's answers (evidence/shadow.ts ShadowAnswers) by their shape here: that module reads the
  // request context, which names the trail's batches, so importing it would close a cycle.
  shadow: TrailEntry["shadow"] | null = null,
): TrailEntry {
  return {
    ...(shadow ? { shadow } : {}),
    model: batch.model.name,
    version: batch.model.version,
    answers: batch.results.map((result, i): TrailAnswer => {
      const logged = forLog(batch.texts[i]!, redaction);
      const source = result.degraded ? "degraded" : result.source;
      return {
        text: logged.text,
        redactions: logged.redactions,
        source,
        student_label: result.student?.label ?? null,
        teacher_label: source === "teacher" || source === "cache" ? result.label : null,
      };
    }),
  };
}
