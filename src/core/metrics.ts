/** Metric maths shared by the toolkit's evaluation and the gateway's live statistics. */

export interface Bin {
  lo: number;
  hi: number;
  /** Examples in the bin, or their total weight when weighted. */
  count: number;
  confidence: number;
  accuracy: number;
}

/**
 * Equal-width reliability bins over confidence in [0, 1]; a confidence of exactly 1 goes in the last bin.
 * With weights (e.g. 1 / P(logged) of logged records) every example counts as its weight.
 */
export function reliabilityBins(
  confidence: ArrayLike<number>,
  correct: ArrayLike<boolean>,
  bins = 15,
  weights?: ArrayLike<number>,
): Bin[] {
  const count = new Float64Array(bins);
  const confSum = new Float64Array(bins);
  const hits = new Float64Array(bins);
  for (let i = 0; i < confidence.length; i++) {
    const c = confidence[i]!;
    const w = weights ? weights[i]! : 1;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(c * bins)));
    count[b]! += w;
    confSum[b]! += w * c;
    if (correct[i]) hits[b]! += w;
  }
  return Array.from({ length: bins }, (_, b) => ({
    lo: b / bins,
    hi: (b + 1) / bins,
    count: count[b]!,
    confidence: count[b]! > 0 ? confSum[b]! / count[b]! : 0,
    accuracy: count[b]! > 0 ? hits[b]! / count[b]! : 0,
  }));
}

/** Expected calibration error (Guo et al. 2017): Σ_b (n_b / N)·|acc_b − conf_b|. */
export function expectedCalibrationError(bins: readonly Bin[]): number {
  const total = bins.reduce((s, b) => s + b.count, 0);
  if (total === 0) return 0;
  return bins.reduce((s, b) => s + (b.count / total) * Math.abs(b.accuracy - b.confidence), 0);
}

/** Wilson score interval for a binomial proportion (z = 1.96 for 95%). */
export function wilsonInterval(successes: number, n: number, z = 1.96): { lo: number; hi: number } {
  if (n === 0) return { lo: 0, hi: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}

/**
 * Kish effective sample size of weighted data: n_eff = (Σw)² / Σw². Equal weights give n; uneven
 * inverse-probability weights give fewer, as a few heavy records carry the estimate.
 */
export function effectiveSampleSize(weights: ArrayLike<number>): number {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i]!;
    sumSq += weights[i]! * weights[i]!;
  }
  return sumSq > 0 ? (sum * sum) / sumSq : 0;
}

/** A weighted proportion and its 95% interval: Wilson on the Kish effective sample size. */
export interface Estimate {
  value: number;
  lo: number;
  hi: number;
}

export function weightedProportion(value: number, effectiveN: number, z = 1.96): Estimate {
  return { value, ...wilsonInterval(value * effectiveN, effectiveN, z) };
}
