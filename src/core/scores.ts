import { z } from "zod";

/** How sure the student is, from its calibrated probabilities. Higher always means more confident. */
export const ScoreKind = z.enum(["max_prob", "margin", "entropy"]);
export type ScoreKind = z.infer<typeof ScoreKind>;
export const SCORE_KINDS: readonly ScoreKind[] = ScoreKind.options;

/** p(top-1). */
export function maxProb(probs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 0; i < probs.length; i++) if (probs[i]! > best) best = probs[i]!;
  return best;
}

/** p(top-1) − p(top-2). */
export function margin(probs: ArrayLike<number>): number {
  let first = 0;
  let second = 0;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i]!;
    if (p > first) {
      second = first;
      first = p;
    } else if (p > second) {
      second = p;
    }
  }
  return first - second;
}

/** 1 − H(p)/log(C): 1 for a one-hot answer, 0 for the uniform one. */
export function negEntropy(probs: ArrayLike<number>): number {
  const n = probs.length;
  if (n < 2) return 1;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const p = probs[i]!;
    if (p > 0) h -= p * Math.log(p);
  }
  return 1 - h / Math.log(n);
}

export function confidenceScore(kind: ScoreKind, probs: ArrayLike<number>): number {
  switch (kind) {
    case "max_prob":
      return maxProb(probs);
    case "margin":
      return margin(probs);
    case "entropy":
      return negEntropy(probs);
  }
}
