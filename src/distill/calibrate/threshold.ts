import type { ScoreKind } from "../../core/scores.ts";

/** One threshold of the cascade: scores below it go to the teacher. */
export interface OperatingPoint {
  threshold: number;
  teacher_rate: number;
  accuracy: number;
}

export type RoutingTarget = { kind: "teacher_rate"; value: number } | { kind: "retention"; value: number };

/**
 * Every distinct operating point of a score, from "never ask the teacher" to "always ask".
 * Sorting once makes the sweep O(n log n): moving the threshold past one score value moves those
 * examples from the student's answer to the teacher's.
 *
 * With `weights` (inverse-probability weights of logged records) the rates are weighted means:
 *   teacher_rate(t) = Σ_i w_i [s_i < t] / Σ_i w_i
 *   accuracy(t)     = Σ_i w_i ([s_i < t] t_i + [s_i ≥ t] c_i) / Σ_i w_i
 * (c_i, t_i: student, teacher correct, as booleans or 0/1). Without weights, every example weighs 1.
 */
export function sweepThresholds(
  scores: ArrayLike<number>,
  studentCorrect: ArrayLike<boolean | number>,
  teacherCorrect: ArrayLike<boolean | number>,
  weights?: ArrayLike<number>,
): OperatingPoint[] {
  const n = scores.length;
  if (n === 0) return [];
  const w = (i: number): number => (weights ? weights[i]! : 1);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let total = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    total += w(i);
    if (studentCorrect[i]) correct += w(i);
  }
  const first = scores[order[0]!]!;
  const points: OperatingPoint[] = [{ threshold: first, teacher_rate: 0, accuracy: correct / total }];
  let escalated = 0;
  let k = 0;
  while (k < n) {
    const value = scores[order[k]!]!;
    while (k < n && scores[order[k]!]! === value) {
      const i = order[k]!;
      escalated += w(i);
      correct += w(i) * (Number(Boolean(teacherCorrect[i])) - Number(Boolean(studentCorrect[i])));
      k++;
    }
    // The smallest threshold that sends every score ≤ value to the teacher.
    const threshold = k < n ? between(value, scores[order[k]!]!) : nextUp(value);
    // The last point is exactly 1, not a rounded sum of weights over their total.
    points.push({ threshold, teacher_rate: k < n ? escalated / total : 1, accuracy: correct / total });
  }
  return points;
}

/**
 * A threshold strictly above `lo` and at most `hi`: their midpoint, unless `lo` and `hi` are adjacent
 * doubles and the midpoint rounds back to `lo` (as saturated probabilities near 1 can be), then `hi`.
 */
function between(lo: number, hi: number): number {
  const mid = lo + (hi - lo) / 2;
  return mid > lo ? mid : hi;
}

function nextUp(x: number): number {
  return x + Math.max(Number.EPSILON, Math.abs(x) * Number.EPSILON);
}

export interface Choice {
  score: ScoreKind;
  point: OperatingPoint;
  /** False when no point met the target and the closest one was taken. */
  met: boolean;
}

/**
 * Picks the score kind and threshold that meet the target on validation data:
 * - teacher_rate r: the most accurate point whose teacher rate is ≤ r;
 * - retention q: the cheapest point whose accuracy is ≥ q × teacher accuracy.
 * Ties go to the lower teacher rate.
 */
export function chooseOperatingPoint(
  sweeps: Partial<Record<ScoreKind, OperatingPoint[]>>,
  teacherAccuracy: number,
  target: RoutingTarget,
): Choice {
  let best: Choice | null = null;
  const better = (a: OperatingPoint, b: OperatingPoint): boolean =>
    target.kind === "teacher_rate"
      ? a.accuracy > b.accuracy || (a.accuracy === b.accuracy && a.teacher_rate < b.teacher_rate)
      : a.teacher_rate < b.teacher_rate || (a.teacher_rate === b.teacher_rate && a.accuracy > b.accuracy);
  const meets = (p: OperatingPoint): boolean =>
    target.kind === "teacher_rate"
      ? p.teacher_rate <= target.value + 1e-12
      : p.accuracy >= target.value * teacherAccuracy - 1e-12;

  for (const [score, points] of Object.entries(sweeps) as [ScoreKind, OperatingPoint[]][]) {
    for (const point of points) {
      if (!meets(point)) continue;
      if (!best || better(point, best.point)) best = { score, point, met: true };
    }
  }
  if (best) return best;
  // Nothing met the target: the retention target falls back to the most accurate point (ties again
  // go to the lower teacher rate, across score kinds too).
  for (const [score, points] of Object.entries(sweeps) as [ScoreKind, OperatingPoint[]][]) {
    for (const point of points) {
      const moreAccurate =
        !best ||
        point.accuracy > best.point.accuracy ||
        (point.accuracy === best.point.accuracy && point.teacher_rate < best.point.teacher_rate);
      if (moreAccurate) best = { score, point, met: false };
    }
  }
  if (!best) throw new Error("chooseOperatingPoint: no operating points to choose from");
  return best;
}

/** Thins a sweep to at most `count` points spread evenly over teacher rate, for plots and JSON. */
export function sampleCurve(points: readonly OperatingPoint[], count = 41): OperatingPoint[] {
  if (points.length <= count) return [...points];
  const out: OperatingPoint[] = [];
  let j = 0;
  for (let s = 0; s < count; s++) {
    const rate = s / (count - 1);
    while (j < points.length - 1 && points[j + 1]!.teacher_rate <= rate) j++;
    const p = points[j]!;
    if (out.at(-1) !== p) out.push(p);
  }
  return out;
}
