import { routingScore } from "../../core/routing-score.ts";
import type { DeferralCandidate } from "./agreement-fit.ts";
import { DEFAULT_DEFERRAL_OPTIONS, type DeferralOptions, trainDeferral } from "./deferral.ts";
import { checkAligned, type LoggedOutputs } from "./logged-outputs.ts";

/**
 * The learned deferral, cross-fitted on the held-out slice.
 *
 * Why the slice and not the training records: the student fits its training records, so on them it is
 * over-confident and rarely disagrees with the teacher; a deferral learnt there maps confidence to
 * disagreement as it is on seen texts, not on traffic, and ranks last on the slice. Out-of-fold student
 * outputs on the training records would fix that at the price of K more students per re-distillation;
 * the slice already holds honest outputs (never trained on) for free.
 *
 * Why cross-fitting: a deferral trained on the whole slice and scored on it would be judged on its own
 * training data. So the slice is cut into K folds (record i in fold i mod K; the slice is ordered by
 * record id, a hash, so folds are random), each fold is scored by a model trained on the other K − 1,
 * and the comparison with max-prob, margin and entropy (and its threshold) uses those out-of-fold
 * scores. The model shipped is the one trained on the whole slice, as the folds' models are on 1 − 1/K
 * of it: the threshold is fitted on scores of nearly the same model.
 */
export const CROSS_FIT_FOLDS = 5;

/** Null when the slice cannot teach a deferral (no disagreement with the teacher, or none but). */
export function crossFitDeferral(
  slice: LoggedOutputs,
  folds = CROSS_FIT_FOLDS,
  options: DeferralOptions = DEFAULT_DEFERRAL_OPTIONS,
): DeferralCandidate | null {
  const n = checkAligned(slice, "crossFitDeferral");
  const deferral = trainDeferral(slice, options);
  if (deferral === null) return null;
  const sliceScores = new Float64Array(n);
  for (let fold = 0; fold < folds; fold++) {
    const inFold = (i: number) => i % folds === fold;
    const rest = subset(slice, (i) => !inFold(i));
    // K − 1 folds with no disagreement to learn from: nothing ranks this fold's records, so they tie.
    const model = trainDeferral(rest, options);
    for (let i = fold; i < n; i += folds)
      sliceScores[i] = model ? routingScore({ score: "learned", deferral: model }, slice.probs[i]!) : 0.5;
  }
  return { deferral, sliceScores };
}

function subset(outputs: LoggedOutputs, keep: (i: number) => boolean): LoggedOutputs {
  const index = Array.from({ length: outputs.probs.length }, (_, i) => i).filter(keep);
  return {
    probs: index.map((i) => outputs.probs[i]!),
    teacherLabel: Int32Array.from(index, (i) => outputs.teacherLabel[i]!),
    weight: Float64Array.from(index, (i) => outputs.weight[i]!),
  };
}
