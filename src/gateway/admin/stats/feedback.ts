import { wilsonInterval } from "../../../core/metrics.ts";
import {
  type FeedbackTotals,
  feedbackTotalsQuery,
  LABELLED_FEEDBACK,
  scopeValues,
} from "../../feedback/accuracy.ts";
import type { StatsFilter } from "./queries.ts";
import { type Accuracy, AGREEMENT_LEVEL, type FeedbackStats } from "./schema.ts";

/**
 * The feedback part of GET /admin/stats: the live accuracy of the student and of the teacher against
 * the labels clients gave (POST /v1/feedback), with Wilson intervals, and the labels the teacher gets
 * wrong most often. The counting is feedback/accuracy.ts's, shared with the canary decision.
 *
 * Feedback is not a random sample: clients correct what they notice. The figures say how the models do
 * on the answers that got feedback, which is what the label-per-answer contract can promise.
 */
export function accuracyOf(samples: number, correct: number): Accuracy {
  if (samples === 0) return { samples, correct, rate: null, low: null, high: null, level: AGREEMENT_LEVEL };
  const { lo, hi } = wilsonInterval(correct, samples);
  return { samples, correct, rate: correct / samples, low: lo, high: hi, level: AGREEMENT_LEVEL };
}

const TEACHER_ERRORS = `${LABELLED_FEEDBACK}
  SELECT label, COUNT(*) AS samples, SUM(teacher <> label) AS wrong
  FROM fb WHERE teacher IS NOT NULL GROUP BY label HAVING SUM(teacher <> label) > 0
  ORDER BY wrong DESC, label LIMIT ?5`;

export async function readFeedbackStats(db: D1Database, filter: StatsFilter): Promise<FeedbackStats> {
  const { model, version, window, top } = filter;
  const scope = { model, version, since: window.since, until: window.until };
  const [totals, errors] = await db.batch([
    feedbackTotalsQuery(db, scope),
    db.prepare(TEACHER_ERRORS).bind(...scopeValues(scope), top),
  ]);
  const t = (totals!.results as FeedbackTotals[])[0]!;
  const rows = errors!.results as { label: string; samples: number; wrong: number }[];
  return {
    samples: t.samples,
    student: accuracyOf(t.student_samples, t.student_correct),
    teacher: accuracyOf(t.teacher_samples, t.teacher_correct),
    teacher_errors: rows.map((r) => ({ ...r, rate: r.wrong / r.samples })),
  };
}
