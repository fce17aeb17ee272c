import { type Comparison, type Counts, compareRates } from "../../core/sequential-test.ts";
import { readFeedbackTotals } from "../feedback/accuracy.ts";
import type { DecisionEvidence } from "../registry/canary-decision.ts";
import { readAgreement } from "./agreement.ts";

/**
 * Where a canary or a shadow stands against the live version, on the evidence that counts: read by the
 * scheduled decision (decide.ts) and by GET /admin/models/{name}/decisions, so what the API shows is what
 * the next decision will act on.
 *
 * The rule: a canary is judged on **feedback** (how often each version's student gave the label clients
 * said was true, POST /v1/feedback) once both it and the live version have at least `minFeedback`
 * feedback records on their students' answers since the canary started; until then on **agreement with
 * the teacher**. Ground truth outranks the teacher, but only with enough of it: a handful of corrections
 * (clients correct what they notice) must not overrule thousands of teacher labels. Both go through the
 * same anytime-valid test (core/sequential-test.ts). A shadow never answers, so no feedback names its
 * answers: it is judged on agreement with the teacher only.
 */

export interface StandingQuery {
  model: string;
  candidate: string;
  role: "canary" | "shadow";
  live: string;
  since: Date;
  alpha: number;
  /** Feedback each side needs before feedback decides (canaries only). */
  minFeedback: number;
}

export interface Standing {
  evidence: DecisionEvidence;
  comparison: Comparison;
  /** Feedback on each side's student answers so far, and what both need; null for a shadow. */
  feedback: { candidate: number; live: number; required: number } | null;
}

export async function standingOf(db: D1Database, q: StandingQuery, now = new Date()): Promise<Standing> {
  const teacher = () =>
    Promise.all([
      readAgreement(db, q.model, q.candidate, q.role === "canary" ? "served" : "shadow", q.since),
      readAgreement(db, q.model, q.live, "served", q.since),
    ]);
  if (q.role === "shadow") {
    const [candidate, live] = await teacher();
    return { evidence: "teacher", comparison: compareRates(candidate, live, q.alpha), feedback: null };
  }
  const [candidate, live] = await Promise.all([
    studentFeedback(db, q.model, q.candidate, q.since, now),
    studentFeedback(db, q.model, q.live, q.since, now),
  ]);
  const feedback = { candidate: candidate.total, live: live.total, required: q.minFeedback };
  if (candidate.total >= q.minFeedback && live.total >= q.minFeedback)
    return { evidence: "feedback", comparison: compareRates(candidate, live, q.alpha), feedback };
  const [agreeC, agreeL] = await teacher();
  return { evidence: "teacher", comparison: compareRates(agreeC, agreeL, q.alpha), feedback };
}

/** A version's student against feedback received since `since`: correct answers of those with feedback. */
async function studentFeedback(
  db: D1Database,
  model: string,
  version: string,
  since: Date,
  now: Date,
): Promise<Counts> {
  const t = await readFeedbackTotals(db, {
    model,
    version,
    since: since.toISOString(),
    until: now.toISOString(),
  });
  return { agree: t.student_correct, total: t.student_samples };
}
