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

/**
 * Φ⁻¹(p), the standard normal quantile: the z of a one-sided confidence level p (0.95 → 1.645).
 * Acklam's rational approximation, relative error below 1.2e-9 on (0, 1).
 */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
