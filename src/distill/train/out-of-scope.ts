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
  const parts = softmaxParts(memberLogits, oosIndex);
  const mean = new Float64Array(parts.classes);
  const figures = (bias: number): OosBiasChoice => {
    let inScope = 0;
    let inHits = 0;
    let oos = 0;
    let oosHits = 0;
    for (let i = 0; i < gold.length; i++) {
      const predicted = argmaxMeanProbs(parts, i, bias, mean);
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

/**
 * The bias moves one logit only, so each member's softmax splits into a part computed once and a part
 * per bias. With M = max_{k≠oos} z_k, e_k = exp(z_k − M) and S = Σ_{k≠oos} e_k:
 *   p_k = e_k / (S + exp(z_oos − M + b))   for k ≠ oos,   p_oos = exp(z_oos − M + b) / (S + exp(z_oos − M + b)).
 * The grid search then costs multiply-adds, not exponentials ([members × n × classes] each).
 */
interface SoftmaxParts {
  members: number;
  n: number;
  classes: number;
  oosIndex: number;
  /** [members × n × classes]: e_k, with 0 in the oos slot. */
  exps: Float64Array;
  /** [members × n]: S */
  sums: Float64Array;
  /** [members × n]: z_oos − M */
  oosOffset: Float64Array;
}

function softmaxParts(memberLogits: readonly Float32Array[][], oosIndex: number): SoftmaxParts {
  const members = memberLogits.length;
  const n = memberLogits[0]?.length ?? 0;
  const classes = memberLogits[0]?.[0]?.length ?? 0;
  const exps = new Float64Array(members * n * classes);
  const sums = new Float64Array(members * n);
  const oosOffset = new Float64Array(members * n);
  for (let m = 0; m < members; m++) {
    for (let i = 0; i < n; i++) {
      const z = memberLogits[m]![i]!;
      const at = (m * n + i) * classes;
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < classes; k++) if (k !== oosIndex) max = Math.max(max, z[k]!);
      let sum = 0;
      for (let k = 0; k < classes; k++) {
        if (k === oosIndex) continue;
        exps[at + k] = Math.exp(z[k]! - max);
        sum += exps[at + k]!;
      }
      sums[m * n + i] = sum;
      oosOffset[m * n + i] = z[oosIndex]! - max;
    }
  }
  return { members, n, classes, oosIndex, exps, sums, oosOffset };
}

/** argmax_k of the members' mean probability of example i with the bias on the oos logit. */
function argmaxMeanProbs(parts: SoftmaxParts, i: number, bias: number, mean: Float64Array): number {
  const { members, n, classes, oosIndex, exps, sums, oosOffset } = parts;
  mean.fill(0);
  for (let m = 0; m < members; m++) {
    const oos = Math.exp(oosOffset[m * n + i]! + bias);
    const inv = 1 / (sums[m * n + i]! + oos);
    const at = (m * n + i) * classes;
    for (let k = 0; k < classes; k++) mean[k]! += exps[at + k]! * inv;
    mean[oosIndex]! += oos * inv;
  }
  return argmax(mean);
}

/** Bakes the bias into the members so the exported graph carries it. */
export function applyOutOfScopeBias(members: Ensemble, oosIndex: number, bias: number): void {
  for (const m of members) m.outBias[oosIndex]! += bias;
}
