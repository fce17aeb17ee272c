/**
 * Each record's expected agreement with the teacher when a student is routed at exactly the weighted
 * teacher rate r: the comparison two students need to be judged at equal cost.
 *
 * Records escalate in increasing score order. Ties and weights rarely land exactly on r, so the tie
 * group straddling it (score s*) escalates in part, the fraction π of its weight that reaches r (a
 * randomised threshold at s*):
 *   a_i(r) = 1                    if s_i < s*   (the teacher answers: agrees)
 *          = π + (1 − π)·a_i      if s_i = s*
 *          = a_i                  if s_i > s*   (the student answers)
 *   agreement(r) = Σ w_i a_i(r) / Σ w_i,   teacher rate = r exactly
 */
export function outcomesAtRate(
  scores: ArrayLike<number>,
  agrees: ArrayLike<number>,
  weights: ArrayLike<number>,
  rate: number,
  out: Float64Array,
): { threshold: number; agreement: number } {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i]!;
  const budget = Math.min(Math.max(rate, 0), 1) * total;
  let spent = 0;
  let threshold = Number.POSITIVE_INFINITY;
  let k = 0;
  while (k < n) {
    const value = scores[order[k]!]!;
    let end = k;
    let mass = 0;
    while (end < n && scores[order[end]!]! === value) mass += weights[order[end++]!]!;
    // The whole group fits (a relative 1e-12 absorbs the rounding of the weight sums).
    const fraction = spent + mass <= budget * (1 + 1e-12) ? 1 : (budget - spent) / mass;
    if (fraction < 1 && threshold === Number.POSITIVE_INFINITY) threshold = value;
    for (let j = k; j < end; j++) {
      const i = order[j]!;
      out[i] = fraction + (1 - fraction) * agrees[i]!;
    }
    spent += Math.min(mass, Math.max(0, budget - spent));
    k = end;
  }
  let agreement = 0;
  for (let i = 0; i < n; i++) agreement += weights[i]! * out[i]!;
  return { threshold, agreement: total > 0 ? agreement / total : 0 };
}
