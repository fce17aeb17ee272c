import type { AnsweredBatch } from "../answered.ts";
import { type AppContext, afterResponse, waitUntilOf } from "../context.ts";
import { type AgreementCount, agreementMessage, type LabelSource } from "./agreement.ts";
import type { ShadowAnswers, ShadowRun } from "./shadow.ts";

/**
 * The evidence shadows and canaries are judged on: whenever the teacher labelled texts of a request
 * (escalated texts, and the audit sample once it is answered), the hard-example log calls this with
 * the teacher's labels. It counts the serving student's agreement with them, and the shadow's when
 * the request is in the shadow's share and was served by the live version (the request's one shadow
 * run, shadow.ts, over all its texts), and sends the counts as one "agreement" message on the
 * hard-examples queue (D1 agreement_counts). All of it after the response, in ctx.waitUntil.
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

export function agreementLog(c: AppContext, shadowOf: ShadowRun): TeacherLabels | undefined {
  const queue = c.env?.HARD_EXAMPLES;
  if (!queue) return undefined;
  const { waitUntil } = waitUntilOf(c);
  return (batch, source, labels) => {
    if (batch.verdicts === null || labels.length === 0) return;
    // After the response, like the records: the shadow's session run must not delay the answer.
    const work = afterResponse()
      .then(() => shadowOf(batch))
      .then((shadow) => tally(batch, source, labels, shadow))
      .then((counts) =>
        queue.send(agreementMessage(batch.model.name, new Date(), counts), { contentType: "json" }),
      )
      .catch((error: unknown) => console.error("agreement: not counted:", error));
    waitUntil?.(work);
  };
}

function tally(
  batch: AnsweredBatch,
  source: LabelSource,
  labels: readonly TeacherLabel[],
  shadow: ShadowAnswers | null,
): AgreementCount[] {
  const served = labels.filter((t) => batch.verdicts?.[t.index]?.label === t.label).length;
  const counts: AgreementCount[] = [
    { version: batch.model.version, role: "served", source, agree: served, n: labels.length },
  ];
  if (shadow === null) return counts;
  // The shadow ran on every text; its agreement counts only those the teacher labelled.
  const agree = labels.filter((t) => shadow.labels[t.index] === t.label).length;
  counts.push({ version: shadow.version, role: "shadow", source, agree, n: labels.length });
  return counts;
}
