import type { AnsweredBatch } from "../answered.ts";
import { type AppContext, afterResponse, waitUntilOf } from "../context.ts";
import type { ModelCatalog, Shadowing } from "../models/catalog.ts";
import { type AgreementCount, agreementMessage, type LabelSource } from "./agreement.ts";
import { shadowLabels } from "./shadow.ts";

/**
 * The evidence shadows and canaries are judged on: whenever the teacher labelled texts of a request
 * (escalated texts, and the audit sample once it is answered), the hard-example log calls this with
 * the teacher's labels. It counts the serving student's agreement with them, runs the model's shadow on
 * the same texts when the request is in the shadow's share and was served by the live version, and
 * sends the counts as one "agreement" message on the hard-examples queue (D1 agreement_counts). All of
 * it after the response, in ctx.waitUntil.
 */
export interface TeacherLabel {
  /** The text's index in the batch. */
  index: number;
  label: string;
}

export type TeacherLabels = (
  batch: AnsweredBatch,
  source: LabelSource,
  labels: readonly TeacherLabel[],
) => void;

export function agreementLog(c: AppContext, catalog: ModelCatalog): TeacherLabels | undefined {
  const queue = c.env?.HARD_EXAMPLES;
  if (!queue) return undefined;
  const env = c.env;
  const { waitUntil } = waitUntilOf(c);
  const ttlMs = c.var.services.config.registry.ttlMs;
  const requestId = c.var.requestId;
  return (batch, source, labels) => {
    if (batch.verdicts === null || labels.length === 0) return;
    const shadow = () => catalog.shadowFor(env, ttlMs, batch.model.name, requestId);
    // After the response, like the records: the shadow's session run must not delay the answer.
    const work = afterResponse()
      .then(() => tally(batch, source, labels, shadow))
      .then((counts) =>
        queue.send(agreementMessage(batch.model.name, new Date(), counts), { contentType: "json" }),
      )
      .catch((error: unknown) => console.error("agreement: not counted:", error));
    waitUntil?.(work);
  };
}

async function tally(
  batch: AnsweredBatch,
  source: LabelSource,
  labels: readonly TeacherLabel[],
  shadowOf: () => Promise<Shadowing | null>,
): Promise<AgreementCount[]> {
  const served = labels.filter((t) => batch.verdicts?.[t.index]?.label === t.label).length;
  const counts: AgreementCount[] = [
    { version: batch.model.version, role: "served", source, agree: served, n: labels.length },
  ];
  const shadow = await shadowOf();
  if (shadow === null || shadow.live !== batch.model.version) return counts;
  try {
    const answers = await shadowLabels(
      shadow.models,
      batch.model.name,
      labels.map((t) => batch.texts[t.index]!),
    );
    const agree = labels.filter((t, j) => answers[j] === t.label).length;
    counts.push({ version: shadow.version, role: "shadow", source, agree, n: labels.length });
  } catch (error) {
    console.error(`agreement: shadow ${batch.model.name}@${shadow.version} failed:`, error);
  }
  return counts;
}
