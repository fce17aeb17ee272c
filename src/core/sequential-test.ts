/**
 * An anytime-valid comparison of two agreement rates (canary vs live), from counts alone.
 *
 * Each arm gets a confidence sequence for its Bernoulli mean from Robbins' beta-binomial mixture
 * martingale (Howard, Ramdas, McAuliffe & Sekhon 2021, "Time-uniform, nonparametric, nonasymptotic
 * confidence sequences", section 3 with a conjugate mixture): with a uniform Beta(1, 1) prior over the
 * alternative q, M_n(p) = B(s + 1, n − s + 1) / (p^s (1 − p)^(n − s)) is a nonnegative martingale with
 * mean 1 when p is the true rate, so by Ville's inequality P(∃n: M_n(p) ≥ 1/α) ≤ α. The set
 * {p : M_n(p) < 1/α} is therefore an interval that holds the true rate at every n at once, however often
 * it is read: peeking does not inflate the error. It depends only on (s, n), so per-version counters in
 * D1 are all it needs, and it adapts to the variance (narrow near 0 and 1, unlike Hoeffding-style bounds).
 *
 * Two arms at α/2 each (union bound) give a confidence sequence for the difference
 * [lo_c − hi_l, hi_c − lo_l] at level α; the canary is "better" once its lower end is above 0 and
 * "worse" once its upper end is below 0. Under the null (equal rates) either happens with probability at
 * most α over the whole run.
 */

export interface Counts {
  /** Texts where the student agreed with the teacher. */
  agree: number;
  /** Texts the teacher answered. */
  total: number;
}

export interface Interval {
  lower: number;
  upper: number;
}

export type Verdict = "better" | "worse" | "undecided";

export interface Comparison {
  verdict: Verdict;
  alpha: number;
  canary: Counts & Interval & { rate: number | null };
  live: Counts & Interval & { rate: number | null };
  /** Confidence sequence for canary rate − live rate. */
  difference: Interval;
}

// Lanczos approximation (g = 7, n = 9): lnΓ to ~15 significant digits for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

function logLikelihood(p: number, { agree: s, total: n }: Counts): number {
  const failures = n - s;
  const ls = s === 0 ? 0 : s * Math.log(p);
  const lf = failures === 0 ? 0 : failures * Math.log1p(-p);
  return ls + lf;
}

/**
 * The level-α confidence sequence for one Bernoulli rate: every p whose log-likelihood is above
 * log B(s + 1, n − s + 1) + log α. The log-likelihood is concave in p, so the set is an interval around
 * s/n, found by bisection on each side.
 */
export function rateConfidenceSequence(counts: Counts, alpha: number): Interval {
  const { agree: s, total: n } = counts;
  if (!(n >= 0 && s >= 0 && s <= n && Number.isInteger(n) && Number.isInteger(s)))
    throw new RangeError(`invalid counts: ${s} of ${n}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (n === 0) return { lower: 0, upper: 1 };
  const floor = logBeta(s + 1, n - s + 1) + Math.log(alpha);
  const inside = (p: number) => logLikelihood(p, counts) > floor;
  const centre = s / n;
  const edge = (outside: number) => {
    if (inside(outside)) return outside;
    let [a, b] = [centre, outside];
    for (let i = 0; i < 60; i++) {
      const mid = (a + b) / 2;
      if (inside(mid)) a = mid;
      else b = mid;
    }
    return a;
  };
  return { lower: edge(0), upper: edge(1) };
}

/** Canary against live at level α: the verdict holds with probability ≥ 1 − α over every peek. */
export function compareRates(canary: Counts, live: Counts, alpha: number): Comparison {
  const c = rateConfidenceSequence(canary, alpha / 2);
  const l = rateConfidenceSequence(live, alpha / 2);
  const difference = { lower: c.lower - l.upper, upper: c.upper - l.lower };
  const verdict: Verdict = difference.lower > 0 ? "better" : difference.upper < 0 ? "worse" : "undecided";
  const rate = ({ agree, total }: Counts) => (total === 0 ? null : agree / total);
  return {
    verdict,
    alpha,
    canary: { ...canary, ...c, rate: rate(canary) },
    live: { ...live, ...l, rate: rate(live) },
    difference,
  };
}
