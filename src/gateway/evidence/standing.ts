import { type Comparison, type Counts, compareRates } from "../../core/sequential-test.ts";
import { readFeedbackTotals, readShadowFeedback } from "../feedback/accuracy.ts";
import type { DecisionEvidence } from "../registry/canary-decision.ts";
import { readAgreement } from "./agreement.ts";

/**
 * Where a canary or a shadow stands against the live version, on the evidence that counts: read by the
 * scheduled decision (decide.ts) and by GET /admin/models/{name}/decisions, so what the API shows is what
 * the next decision will act on.
 *
 * The rule, the same for canaries and shadows: the candidate is judged on **feedback** (how often its
 * label was the one clients said was true, POST /v1/feedback) once both it and the live version have at
 * least `minFeedback` feedback records since it started; until then on **agreement with the teacher**.
 * Ground truth outranks the teacher, but only with enough of it: a handful of corrections (clients
 * correct what they notice) must not overrule thousands of teacher labels. Both go through the same
 * anytime-valid test (core/sequential-test.ts). A canary's feedback names its answers; a shadow never
 * answers, so its feedback is that on requests in its share, where the answer trail kept its labels.
 */

export interface StandingQuery {
  model: string;
  candidate: string;
  role: "canary" | "shadow";
  live: string;
  since: Date;
  alpha: number;
  /** Feedback each side needs before feedback decides. */
  minFeedback: number;
}

export interface FeedbackStanding {
  /** Feedback records on each side so far, and what both need. */
  candidate: number;
  live: number;
  required: number;
  /** Each side's accuracy against that feedback, with its anytime-valid interval. */
  comparison: Comparison;
}

export interface Standing {
  evidence: DecisionEvidence;
  comparison: Comparison;
  feedback: FeedbackStanding;
}

export async function standingOf(db: D1Database, q: StandingQuery, now = new Date()): Promise<Standing> {
  const window = { model: q.model, since: q.since.toISOString(), until: now.toISOString() };
  const [candidate, live] = await Promise.all([
    q.role === "canary"
      ? studentFeedback(db, { ...window, version: q.candidate })
      : readShadowFeedback(db, { ...window, version: q.candidate }),
    studentFeedback(db, { ...window, version: q.live }),
  ]);
  const onFeedback = compareRates(candidate, live, q.alpha);
  const feedback = {
    candidate: candidate.total,
    live: live.total,
    required: q.minFeedback,
    comparison: onFeedback,
  };
  if (candidate.total >= q.minFeedback && live.total >= q.minFeedback)
    return { evidence: "feedback", comparison: onFeedback, feedback };
  const [agreeC, agreeL] = await Promise.all([
    readAgreement(db, q.model, q.candidate, q.role === "canary" ? "served" : "shadow", q.since),
    readAgreement(db, q.model, q.live, "served", q.since),
  ]);
  return { evidence: "teacher", comparison: compareRates(agreeC, agreeL, q.alpha), feedback };
}

/** A version's student against feedback in the window: correct answers of those with feedback. */
async function studentFeedback(
  db: D1Database,
  scope: { model: string; version: string; since: string; until: string },
): Promise<Counts> {
  const t = await readFeedbackTotals(db, scope);
  return { agree: t.student_correct, total: t.student_samples };
}
