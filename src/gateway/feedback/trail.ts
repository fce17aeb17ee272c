import { z } from "zod";
import type { AnsweredBatch, AnswerListener } from "../answered.ts";
import { type AppContext, afterResponse, clientOf, waitUntilOf } from "../context.ts";
import type { ShadowAnswers, ShadowRun } from "../evidence/shadow.ts";
import { forLog, modeFor, type RedactionMode } from "../privacy/policy.ts";

/**
 * The answer trail: what feedback by request id needs of an answer the hard-example log may never have
 * seen (a confident student answer is logged only if audited). Per answered request, one KV entry
 * `answer/{client}/{request id}` holds, per text, the text *redacted as the log would hold it*, who
 * answered and the student's and teacher's labels, with the model and version, and on a request in a
 * shadow's share the shadow's labels (evidence/shadow.ts); KV deletes it after
 * FEEDBACK_WINDOW_S. The client (API key id, "-" without keys) is part of the key, so one client can
 * neither read nor overwrite what another's request ids name.
 *
 * Written in ctx.waitUntil after the answer, like the log; a failed write costs only the chance of
 * feedback by request id for that answer (the client can still send the text), so it is logged, not retried.
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

export const trailKey = (client: string | undefined, requestId: string) =>
  `answer/${client ?? "-"}/${requestId}`;

/** The entry a request leaves, texts redacted under the model's REDACTION mode. */
export function trailEntry(
  batch: AnsweredBatch,
  redaction: RedactionMode,
  shadow: ShadowAnswers | null = null,
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

/** The listener that writes a request's trail entry; a no-op without the binding or with a window of 0. */
export function answerTrail(c: AppContext, shadowOf: ShadowRun): AnswerListener {
  const kv = c.env?.ANSWER_TRAIL;
  const { config } = c.var.services;
  const windowS = config.feedback.windowS;
  if (!kv || windowS === 0) return () => {};
  const { waitUntil } = waitUntilOf(c);
  return (batch) => {
    // Read when the answer is ready: the listener is made before the API key is checked.
    const key = trailKey(clientOf(c).client, c.var.requestId);
    // Redaction runs in a later task than the answer, as the log's does.
    // On a shadowed request the entry waits for the shadow's run, so it is written once, with its labels.
    const work = afterResponse()
      .then(() => shadowOf(batch))
      .then((shadow) => {
        const entry = trailEntry(batch, modeFor(config.redaction, batch.model.name), shadow);
        return kv.put(key, JSON.stringify(entry), { expirationTtl: windowS });
      })
      .catch((error: unknown) => console.error("answer trail: not kept:", error));
    if (waitUntil) waitUntil(work);
  };
}

/** The trail entry of a client's request, or null when there is none (expired, never kept, not theirs). */
export async function readTrail(
  kv: KVNamespace,
  client: string | undefined,
  requestId: string,
): Promise<TrailEntry | null> {
  const raw = await kv.get(trailKey(client, requestId), "json");
  if (raw === null) return null;
  const parsed = TrailEntry.safeParse(raw);
  if (!parsed.success) {
    console.error(`answer trail: entry of ${requestId} does not validate`);
    return null;
  }
  return parsed.data;
}
