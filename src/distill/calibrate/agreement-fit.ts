import { z } from "zod";
import type { LearnedDeferral } from "../../core/deferral.ts";
import {
  type Estimate,
  effectiveSampleSize,
  normalQuantile,
  weightedProportion,
} from "../../core/metrics.ts";
import type { RoutingScoreKind, RoutingScoreRule } from "../../core/routing-score.ts";
import { SCORE_KINDS } from "../../core/scores.ts";
import { checkAligned, type LoggedOutputs, scoresOf, studentAgrees } from "./logged-outputs.ts";
import { type OperatingPoint, sweepThresholds } from "./threshold.ts";

/**
 * Fits the routing threshold to agreement with the real teacher on the held-out slice of logged
 * records, for every score kind and the learned deferral, and says which one to ship.
 *
 * A record's served answer agrees when it is the teacher's label; an escalated record is answered by
 * the teacher, so it agrees. With weights w_i = 1/P(logged), scores s_i, student agreement a_i:
 *   teacher rate(t) = Σ w_i [s_i < t] / Σ w_i
 *   agreement(t)    = Σ w_i ([s_i < t] + [s_i ≥ t] a_i) / Σ w_i
 * Intervals: 95% Wilson on the Kish effective sample size n_eff = (Σw)²/Σw².
 *
 * The threshold is chosen on the same slice, and the cheapest point whose agreement merely reaches Q
 * is the one the slice's noise flatters most: on a small slice (the first students', or few audit
 * records standing for most of the traffic) the realised agreement falls short of it. With
 * `confidence`, a point meets Q only when the one-sided lower Wilson bound of its agreement on n_eff
 * does, so a small or heavily weighted slice escalates more and a large one converges to the point fit.
 */
export const RoutingGoal = z
  .object({
    /** Keep ≥ this share of the teacher's answers. */
    keepAgreement: z.number().gt(0).max(1).optional(),
    /** Send ≤ this share of the traffic to the teacher (a hard budget when both are set). */
    maxTeacherRate: z.number().min(0).max(1).optional(),
    /**
     * One-sided confidence that keepAgreement holds: the lower Wilson–Kish bound of the agreement at
     * this level must reach it (e.g. 0.95). Absent: the point estimate must.
     */
    confidence: z.number().gt(0).lt(1).optional(),
  })
  .strict()
  .refine((g) => g.keepAgreement !== undefined || g.maxTeacherRate !== undefined, {
    message: "a routing goal needs keepAgreement, maxTeacherRate or both",
  });
export type RoutingGoal = z.infer<typeof RoutingGoal>;

/** One score kind's fitted threshold and what it gives on the slice. */
export interface ScoreKindFit {
  score: RoutingScoreKind;
  threshold: number;
  teacherRate: Estimate;
  agreement: Estimate;
  /** False when no threshold of this kind meets the goal: the row is its closest point within budget. */
  met: boolean;
}

/** The side-by-side table the CLI prints, and the rule to ship. */
export interface RoutingFit {
  goal: RoutingGoal;
  /** Held-out records, and their Kish effective number. */
  n: number;
  effectiveN: number;
  interval: "wilson-kish-95";
  /** max_prob, margin, entropy, then learned when a deferral model was given. */
  rows: ScoreKindFit[];
  /** The best row that meets the goal, else the best row within the budget; null on an empty slice. */
  best: ScoreKindFit | null;
  /** The rule to ship (the best row's score and threshold, with the deferral model if learned). */
  rule: (RoutingScoreRule & { threshold: number }) | null;
  met: boolean;
  /** One sentence on the outcome, for the CLI. */
  summary: string;
}

/** Agreement and budget are met within 1e-12: a weighted sum can round just below an exact target. */
const SLACK = 1e-12;

export function fitRoutingToTeacher(
  heldOut: LoggedOutputs,
  goal: RoutingGoal,
  deferral: LearnedDeferral | DeferralCandidate | null = null,
): RoutingFit {
  RoutingGoal.parse(goal);
  const learned = deferral && "sliceScores" in deferral ? deferral : null;
  if (learned && learned.sliceScores.length !== heldOut.probs.length)
    throw new RangeError(
      `fitRoutingToTeacher: ${learned.sliceScores.length} deferral scores for ${heldOut.probs.length} records`,
    );
  const n = checkAligned(heldOut, "fitRoutingToTeacher");
  const effectiveN = effectiveSampleSize(heldOut.weight);
  const rules: RoutingScoreRule[] = SCORE_KINDS.map((score) => ({ score }));
  if (deferral)
    rules.push({ score: "learned", deferral: learned ? learned.deferral : (deferral as LearnedDeferral) });
  const base = { goal, n, effectiveN, interval: "wilson-kish-95" as const };
  if (n === 0)
    return {
      ...base,
      rows: [],
      best: null,
      rule: null,
      met: false,
      summary: "no held-out records to fit on",
    };

  const agrees = studentAgrees(heldOut);
  const teacherAgrees = new Uint8Array(n).fill(1);
  const rows = rules.map((rule): ScoreKindFit => {
    const scores = rule.score === "learned" && learned ? learned.sliceScores : scoresOf(heldOut, rule);
    const points = sweepThresholds(scores, agrees, teacherAgrees, heldOut.weight);
    const { point, met } = pickPoint(points, goal, effectiveN);
    return {
      score: rule.score,
      threshold: point.threshold,
      teacherRate: weightedProportion(point.teacher_rate, effectiveN),
      agreement: weightedProportion(point.accuracy, effectiveN),
      met,
    };
  });
  const best = bestRow(rows, goal);
  const rule = rules[rows.indexOf(best)]!;
  return {
    ...base,
    rows,
    best,
    rule: { ...rule, threshold: best.threshold },
    met: best.met,
    summary: summarise(best, goal),
  };
}

/**
 * A learned deferral to compare on the slice, with the scores to judge it by: out-of-fold ones when it
 * was trained on the slice itself (cross-fit.ts), so no record is scored by a model that saw it.
 */
export interface DeferralCandidate {
  deferral: LearnedDeferral;
  sliceScores: Float64Array;
}

/**
 * One kind's point for the goal (points carry agreement in `accuracy`):
 * - keepAgreement Q (within maxTeacherRate R if set): the lowest teacher rate with agreement ≥ Q (its
 *   lower bound at goal.confidence on `effectiveN` records, when both are given);
 * - maxTeacherRate R alone: the highest agreement with teacher rate ≤ R.
 * A tie on the criterion goes to the better of the other figure. When Q cannot be had within R, the
 * highest agreement within R is returned, not met.
 */
export function pickPoint(
  points: readonly OperatingPoint[],
  goal: RoutingGoal,
  effectiveN?: number,
): { point: OperatingPoint; met: boolean } {
  const withinBudget = points.filter(
    (p) => goal.maxTeacherRate === undefined || p.teacher_rate <= goal.maxTeacherRate + SLACK,
  );
  const q = goal.keepAgreement;
  const z =
    goal.confidence !== undefined && effectiveN !== undefined ? normalQuantile(goal.confidence) : null;
  const agreementOf = (p: OperatingPoint) =>
    z === null ? p.accuracy : weightedProportion(p.accuracy, effectiveN!, z).lo;
  const meeting = q === undefined ? withinBudget : withinBudget.filter((p) => agreementOf(p) >= q - SLACK);
  const cheapest = (a: OperatingPoint, b: OperatingPoint) =>
    a.teacher_rate - b.teacher_rate || b.accuracy - a.accuracy;
  const mostAgreeing = (a: OperatingPoint, b: OperatingPoint) =>
    b.accuracy - a.accuracy || a.teacher_rate - b.teacher_rate;
  if (meeting.length > 0)
    return { point: [...meeting].sort(q === undefined ? mostAgreeing : cheapest)[0]!, met: true };
  // Nothing met; a budget of at least 0 always admits the rate-0 point.
  return { point: [...withinBudget].sort(mostAgreeing)[0] ?? points[0]!, met: false };
}

/** The row to ship: met rows first, then by the goal's own order (as pickPoint ranks points). */
function bestRow(rows: readonly ScoreKindFit[], goal: RoutingGoal): ScoreKindFit {
  const byGoal = (a: ScoreKindFit, b: ScoreKindFit): number => {
    if (a.met !== b.met) return a.met ? -1 : 1;
    const rate = a.teacherRate.value - b.teacherRate.value;
    const agreement = b.agreement.value - a.agreement.value;
    // Unmet rows, and a lone budget, are ranked by agreement; a met agreement target by cost.
    return goal.keepAgreement !== undefined && a.met ? rate || agreement : agreement || rate;
  };
  return [...rows].sort(byGoal)[0]!;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function summarise(best: ScoreKindFit, goal: RoutingGoal): string {
  const bound =
    goal.confidence !== undefined && goal.keepAgreement !== undefined
      ? ` (its ${pct(goal.confidence)} lower bound ≥ ${pct(goal.keepAgreement)})`
      : "";
  const at = `${best.score} at threshold ${best.threshold.toPrecision(4)}: agreement ${pct(best.agreement.value)} [${pct(best.agreement.lo)}, ${pct(best.agreement.hi)}] at teacher rate ${pct(best.teacherRate.value)}`;
  if (best.met) return `goal met by ${at}${bound}`;
  return `goal not met: keeping ${pct(goal.keepAgreement ?? 1)} of the teacher's answers needs more than the ${pct(goal.maxTeacherRate ?? 1)} teacher budget; best within it is ${at}`;
}
