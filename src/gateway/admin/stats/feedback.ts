import { wilsonInterval } from "../../../core/metrics.ts";
import type { StatsFilter } from "./queries.ts";
import { type Accuracy, AGREEMENT_LEVEL, type FeedbackStats } from "./schema.ts";

/**
 * The feedback part of GET /admin/stats: the live accuracy of the student and of the teacher against
 * the labels clients gave (POST /v1/feedback), with Wilson intervals, and the labels the teacher gets
 * wrong most often. A feedback record carries the labels of the answer it names; one given by text alone
 * takes them from the hard-example log's row of the same text (an audit, an escalation), when there is one.
 *
 * Feedback is not a random sample: clients correct what they notice. The figures say how the models do
 * on the answers that got feedback, which is what the label-per-answer contract can promise.
 */
export function accuracyOf(samples: number, correct: number): Accuracy {
  if (samples === 0) return { samples, correct, rate: null, low: null, high: null, level: AGREEMENT_LEVEL };
  const { lo, hi } = wilsonInterval(correct, samples);
  return { samples, correct, rate: correct / samples, low: lo, high: hi, level: AGREEMENT_LEVEL };
}

// ?1 model, ?2 version or NULL, ?3/?4 the window's instants, ?5 top. The version is the answer's, else
// (feedback by text) the version of the log's row.
const LABELLED = `WITH fb AS (
  SELECT f.label AS label,
         COALESCE(f.student_label, h.student_label) AS student,
         COALESCE(f.teacher_label, h.teacher_label) AS teacher
  FROM feedback f LEFT JOIN hard_examples h ON h.id = f.example_id
  WHERE f.model = ?1 AND (?2 IS NULL OR COALESCE(f.version, h.version) = ?2) AND f.ts >= ?3 AND f.ts <= ?4)`;

const SQL = {
  totals: `${LABELLED}
    SELECT COUNT(*) AS samples,
           COUNT(student) AS student_samples, COALESCE(SUM(student = label), 0) AS student_correct,
           COUNT(teacher) AS teacher_samples, COALESCE(SUM(teacher = label), 0) AS teacher_correct
    FROM fb`,
  teacherErrors: `${LABELLED}
    SELECT label, COUNT(*) AS samples, SUM(teacher <> label) AS wrong
    FROM fb WHERE teacher IS NOT NULL GROUP BY label HAVING SUM(teacher <> label) > 0
    ORDER BY wrong DESC, label LIMIT ?5`,
} as const;

interface Totals {
  samples: number;
  student_samples: number;
  student_correct: number;
  teacher_samples: number;
  teacher_correct: number;
}

export async function readFeedbackStats(db: D1Database, filter: StatsFilter): Promise<FeedbackStats> {
  const { model, version, window, top } = filter;
  const values = [model, version, window.since, window.until];
  const [totals, errors] = await db.batch([
    db.prepare(SQL.totals).bind(...values),
    db.prepare(SQL.teacherErrors).bind(...values, top),
  ]);
  const t = (totals!.results as Totals[])[0]!;
  const rows = errors!.results as { label: string; samples: number; wrong: number }[];
  return {
    samples: t.samples,
    student: accuracyOf(t.student_samples, t.student_correct),
    teacher: accuracyOf(t.teacher_samples, t.teacher_correct),
    teacher_errors: rows.map((r) => ({ ...r, rate: r.wrong / r.samples })),
  };
}
