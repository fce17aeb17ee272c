import type { Ensemble } from "../../core/model.ts";
import { argmax } from "../../core/softmax.ts";

/**
 * Out-of-scope prior adjustment. Training sets hold few out-of-scope examples (CLINC150: 100 of
 * 15,100) while real traffic holds many, so the trained oos logit is too timid. Adding a bias b to
 * every member's oos logit is the label-shift correction b = log(π_serve / π_train); since π_serve is
 * unknown we take the largest b (on a grid) whose validation in-scope accuracy stays within
 * `maxInScopeDrop` of b = 0: out-of-scope recall bought at a bounded, stated in-scope cost.
 */
export interface OosBiasChoice {
  bias: number;
  inScopeAccuracy: number;
  oosRecall: number;
}

export function chooseOutOfScopeBias(
  memberLogits: readonly Float32Array[][],
  gold: Int32Array,
  oosIndex: number,
  maxInScopeDrop: number,
  grid: readonly number[] = Array.from({ length: 41 }, (_, i) => i * 0.1),
): OosBiasChoice {
  const figures = (bias: number): OosBiasChoice => {
    let inScope = 0;
    let inHits = 0;
    let oos = 0;
    let oosHits = 0;
    for (let i = 0; i < gold.length; i++) {
      const predicted = argmax(meanProbsWithBias(memberLogits, i, oosIndex, bias));
      if (gold[i] === oosIndex) {
        oos++;
        if (predicted === oosIndex) oosHits++;
      } else {
        inScope++;
        if (predicted === gold[i]) inHits++;
      }
    }
    return { bias, inScopeAccuracy: inHits / Math.max(1, inScope), oosRecall: oosHits / Math.max(1, oos) };
  };
  const base = figures(0);
  // A drop of exactly maxInScopeDrop is allowed: the slack absorbs rounding (0.8 − 0.1 > 0.7 in floats).
  const floor = base.inScopeAccuracy - maxInScopeDrop - 1e-12;
  let best = base;
  for (const b of grid) {
    const f = figures(b);
    if (f.inScopeAccuracy >= floor && f.bias > best.bias) best = f;
  }
  return best;
}

function meanProbsWithBias(
  memberLogits: readonly Float32Array[][],
  i: number,
  oosIndex: number,
  bias: number,
): Float64Array {
  const C = memberLogits[0]![i]!.length;
  const mean = new Float64Array(C);
  const exps = new Float64Array(C);
  for (const logitsOfMember of memberLogits) {
    const z = logitsOfMember[i]!;
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < C; k++) max = Math.max(max, z[k]! + (k === oosIndex ? bias : 0));
    let sum = 0;
    for (let k = 0; k < C; k++) {
      exps[k] = Math.exp(z[k]! + (k === oosIndex ? bias : 0) - max);
      sum += exps[k]!;
    }
    for (let k = 0; k < C; k++) mean[k]! += exps[k]! / sum;
  }
  return mean;
}

/** Bakes the bias into the members so the exported graph carries it. */
export function applyOutOfScopeBias(members: Ensemble, oosIndex: number, bias: number): void {
  for (const m of members) m.outBias[oosIndex]! += bias;
}
