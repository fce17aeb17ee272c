import { wilsonInterval } from "../../src/core/metrics.ts";
import { mulberry32 } from "../../src/core/random.ts";
import { chooseOperatingPoint, sweepThresholds } from "../../src/distill/calibrate/threshold.ts";

/**
 * The cascade against a given teacher on one split, per example: the routing score of the student's
 * calibrated probabilities, and whether the student and the teacher are right against gold.
 */
export interface SplitOutcomes {
  scores: Float64Array;
  studentCorrect: Uint8Array;
  teacherCorrect: Uint8Array;
}

export interface Interval {
  value: number;
  lo: number;
  hi: number;
}

/** A retention target met at a threshold fitted on one split and measured on another. */
export interface RetentionPoint {
  target: number;
  /** Lowest-teacher-rate threshold whose retention on the fit split is ≥ target. */
  threshold: number;
  fit: { teacherRate: number; retention: number };
  /** That threshold on the test split: 95% Wilson for the rate, paired bootstrap for the retention. */
  test: { teacherRate: Interval; accuracy: number; retention: Interval };
  /** The same target fitted on the test split itself: what the split could give, not a forecast. */
  oracle: { threshold: number; teacherRate: number; retention: number };
}

export const BOOTSTRAP_RESAMPLES = 2000;
const BOOTSTRAP_SEED = 0x0b007;

function mean(xs: Uint8Array): number {
  let sum = 0;
  for (const x of xs) sum += x;
  return xs.length === 0 ? 0 : sum / xs.length;
}

/** The cheapest threshold on the split's sweep that keeps `target` of its teacher's accuracy. */
function fitRetention(split: SplitOutcomes, target: number) {
  const teacherAccuracy = mean(split.teacherCorrect);
  const sweep = sweepThresholds(split.scores, split.studentCorrect, split.teacherCorrect);
  // One score (the manifest's) is swept: the key only names the sweep.
  const choice = chooseOperatingPoint({ margin: sweep }, teacherAccuracy, {
    kind: "retention",
    value: target,
  });
  return {
    threshold: choice.point.threshold,
    teacherRate: choice.point.teacher_rate,
    retention: teacherAccuracy > 0 ? choice.point.accuracy / teacherAccuracy : 0,
  };
}

/**
 * Retention (served accuracy / teacher-only accuracy) at a threshold, with a 95% percentile interval
 * from a paired bootstrap: both accuracies are taken on the same resampled examples, so their
 * correlation is kept (a ratio of two independent intervals would be far too wide).
 */
function retentionAt(
  split: SplitOutcomes,
  escalated: Uint8Array,
  seed: number,
): Interval & { accuracy: number } {
  const n = split.scores.length;
  const served = Uint8Array.from(escalated, (e, i) =>
    e ? split.teacherCorrect[i]! : split.studentCorrect[i]!,
  );
  const ratio = (a: number, t: number) => (t > 0 ? a / t : 0);
  const value = ratio(mean(served), mean(split.teacherCorrect));
  const rng = mulberry32(seed);
  const draws = new Float64Array(BOOTSTRAP_RESAMPLES);
  for (let b = 0; b < BOOTSTRAP_RESAMPLES; b++) {
    let servedRight = 0;
    let teacherRight = 0;
    for (let k = 0; k < n; k++) {
      const i = Math.floor(rng() * n);
      servedRight += served[i]!;
      teacherRight += split.teacherCorrect[i]!;
    }
    draws[b] = ratio(servedRight, teacherRight);
  }
  draws.sort();
  const at = (q: number) => draws[Math.min(BOOTSTRAP_RESAMPLES - 1, Math.floor(q * BOOTSTRAP_RESAMPLES))]!;
  return { value, lo: at(0.025), hi: at(0.975), accuracy: mean(served) };
}

/**
 * For each retention target: the threshold fitted on `fit`, what it realises on `test` (with 95%
 * intervals), and the oracle threshold fitted on `test` itself, labelled as such by the report.
 */
export function retentionPoints(
  fit: SplitOutcomes,
  test: SplitOutcomes,
  targets: readonly number[],
): RetentionPoint[] {
  return targets.map((target, t) => {
    const fitted = fitRetention(fit, target);
    const escalated = Uint8Array.from(test.scores, (s) => (s < fitted.threshold ? 1 : 0));
    const sent = escalated.reduce((s, e) => s + e, 0);
    const n = test.scores.length;
    const retention = retentionAt(test, escalated, BOOTSTRAP_SEED + t);
    const oracle = fitRetention(test, target);
    return {
      target,
      threshold: fitted.threshold,
      fit: { teacherRate: fitted.teacherRate, retention: fitted.retention },
      test: {
        teacherRate: { value: n === 0 ? 0 : sent / n, ...wilsonInterval(sent, n) },
        accuracy: retention.accuracy,
        retention: { value: retention.value, lo: retention.lo, hi: retention.hi },
      },
      oracle: { threshold: oracle.threshold, teacherRate: oracle.teacherRate, retention: oracle.retention },
    };
  });
}
