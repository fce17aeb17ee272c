import { z } from "zod";
import { margin, maxProb, negEntropy } from "./scores.ts";

/**
 * Learned deferral: a logistic regression predicting "the student disagrees with the teacher" from its
 * calibrated probabilities alone, so the Worker computes it from what it already has. Trained by the
 * toolkit (src/distill/calibrate/deferral.ts) on logged teacher answers; shipped in the manifest's
 * routing rule as `{ score: "learned", deferral }`.
 *
 *   x = φ(p) ∈ ℝ^F                       (features, version 1, below)
 *   P(disagree | p) = σ(θ·x + b)
 *   confidence(p)   = 1 − σ(θ·x + b) = σ(−(θ·x + b))   ∈ (0, 1); higher is surer, like every score kind
 */
export const DEFERRAL_FEATURES_VERSION = 1;

/** φ(p), version 1, in this order. p1 ≥ p2 are the top two probabilities. */
export const DEFERRAL_FEATURES = [
  "max_prob", // p1
  "margin", // p1 − p2
  "entropy", // 1 − H(p)/log C
  "log_top1", // log max(p1, ε)
  "log_top2", // log max(p2, ε)
  "classes_above_5pct", // #{k : p_k ≥ 0.05}, at most 20
] as const;
export const DEFERRAL_FEATURE_COUNT = DEFERRAL_FEATURES.length;

/** Floor of the logs: a probability of 0 must not give −∞ (and weights of NaN). */
const LOG_FLOOR = 1e-6;
const PLAUSIBLE = 0.05;

export const LearnedDeferral = z
  .object({
    features: z.literal(DEFERRAL_FEATURES_VERSION),
    /** θ, one per feature of DEFERRAL_FEATURES. */
    weights: z.array(z.number()).length(DEFERRAL_FEATURE_COUNT),
    bias: z.number(),
  })
  .strict();
export type LearnedDeferral = z.infer<typeof LearnedDeferral>;

/** Writes φ(p) into `out` (length DEFERRAL_FEATURE_COUNT) and returns it. */
export function deferralFeatures(probs: ArrayLike<number>, out: Float64Array): Float64Array {
  const p1 = maxProb(probs);
  const gap = margin(probs);
  const p2 = p1 - gap;
  let plausible = 0;
  for (let k = 0; k < probs.length; k++) if (probs[k]! >= PLAUSIBLE) plausible++;
  out[0] = p1;
  out[1] = gap;
  out[2] = negEntropy(probs);
  out[3] = Math.log(Math.max(p1, LOG_FLOOR));
  out[4] = Math.log(Math.max(p2, LOG_FLOOR));
  out[5] = plausible;
  return out;
}

/** σ(z) = 1 / (1 + e^−z), without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** One scratch vector for the serving path: scoring runs synchronously, so no call can interleave. */
const SCRATCH = new Float64Array(DEFERRAL_FEATURE_COUNT);

/** θ·φ(p) + b: the log-odds that the student disagrees with the teacher. */
export function disagreementLogit(model: LearnedDeferral, probs: ArrayLike<number>): number {
  const x = deferralFeatures(probs, SCRATCH);
  let z = model.bias;
  for (let j = 0; j < DEFERRAL_FEATURE_COUNT; j++) z += model.weights[j]! * x[j]!;
  return z;
}

/** 1 − P(disagree): the routing score of a learned deferral (below the threshold → teacher). */
export function deferralConfidence(model: LearnedDeferral, probs: ArrayLike<number>): number {
  return sigmoid(-disagreementLogit(model, probs));
}
