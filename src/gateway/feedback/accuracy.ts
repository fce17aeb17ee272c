/**
 * How often the student and the teacher gave the label clients said was true (feedback, D1): read by
 * GET /admin/stats (admin/stats/feedback.ts) and by the canary and shadow standing
 * (evidence/standing.ts), so both count the same answers. A feedback record carries the labels of the
 * answer it names; one given by text alone takes them, and the version, from the hard-example log's row
 * of the same text when there is one.
 */
export interface FeedbackScope {
  model: string;
  /** One version's answers, or null for all of the model's. */
  version: string | null;
  /** Feedback received in [since, until], ISO 8601. */
  since: string;
  until: string;
}

export interface FeedbackTotals {
  /** Feedback records in scope. */
  samples: number;
  /** Of those, where the student's label is known, and where it was the feedback's. */
  student_samples: number;
  student_correct: number;
  /** The same for the teacher. */
  teacher_samples: number;
  teacher_correct: number;
}

// ?1 model, ?2 version or NULL, ?3/?4 the window's instants. The version is the answer's, else
// (feedback by text) the version of the log's row.
export const LABELLED_FEEDBACK = `WITH fb AS (
  SELECT f.label AS label,
         COALESCE(f.student_label, h.student_label) AS student,
         COALESCE(f.teacher_label, h.teacher_label) AS teacher
  FROM feedback f LEFT JOIN hard_examples h ON h.id = f.example_id
  WHERE f.model = ?1 AND (?2 IS NULL OR COALESCE(f.version, h.version) = ?2) AND f.ts >= ?3 AND f.ts <= ?4)`;

const TOTALS = `${LABELLED_FEEDBACK}
  SELECT COUNT(*) AS samples,
         COUNT(student) AS student_samples, COALESCE(SUM(student = label), 0) AS student_correct,
         COUNT(teacher) AS teacher_samples, COALESCE(SUM(teacher = label), 0) AS teacher_correct
  FROM fb`;

export const scopeValues = ({ model, version, since, until }: FeedbackScope) => [
  model,
  version,
  since,
  until,
];

export function feedbackTotalsQuery(db: D1Database, scope: FeedbackScope): D1PreparedStatement {
  return db.prepare(TOTALS).bind(...scopeValues(scope));
}

export async function readFeedbackTotals(db: D1Database, scope: FeedbackScope): Promise<FeedbackTotals> {
  const row = await feedbackTotalsQuery(db, scope).first<FeedbackTotals>();
  return (
    row ?? { samples: 0, student_samples: 0, student_correct: 0, teacher_samples: 0, teacher_correct: 0 }
  );
}

// ?1 model, ?2 shadow version, ?3/?4 the window's instants: feedback by request id on requests the
// shadow ran on (the answer trail kept its label; migrations/0007_feedback_shadow.sql).
const SHADOW_TOTALS = `SELECT COUNT(*) AS total, COALESCE(SUM(shadow_label = label), 0) AS agree FROM feedback
  WHERE model = ?1 AND shadow_version = ?2 AND ts >= ?3 AND ts <= ?4`;

/** A shadow version against feedback: how often its label was the one clients said was true. */
export async function readShadowFeedback(
  db: D1Database,
  scope: FeedbackScope & { version: string },
): Promise<{ agree: number; total: number }> {
  const row = await db
    .prepare(SHADOW_TOTALS)
    .bind(...scopeValues(scope))
    .first<{ agree: number; total: number }>();
  return row ?? { agree: 0, total: 0 };
}
