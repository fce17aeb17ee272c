import { affine, type EmbeddingBagWeights, type Ensemble } from "../../core/model.ts";

/**
 * Exact leave-one-feature-out occlusion, for models the linear decomposition does not cover (a hidden
 * ReLU layer, or an ensemble, whose output is the log of mean probabilities). The weight of a feature is
 * m_c(bag) − m_c(bag without every occurrence of it), with m_c = z_c − mean_k z_k of the model's output,
 * computed by the TypeScript forward pass (which matches the ONNX graph within 1e-5). It is exact for
 * what it measures, but the weights need not sum to the margin: the layers are not additive.
 *
 * Removing a feature only changes the pooled embedding, so each occlusion subtracts its rows from the
 * pooled sum instead of re-pooling the bag: O(dim · hidden + hidden · classes) per feature.
 */

/** Logits of one member from a pooled (mean) embedding. */
function headLogits(w: EmbeddingBagWeights, pooled: Float32Array, out: Float32Array): void {
  if (w.hidden > 0) {
    const h = new Float32Array(w.hidden);
    affine(pooled, w.hiddenWeight!, w.hiddenBias!, h);
    for (let j = 0; j < w.hidden; j++) if (h[j]! < 0) h[j] = 0;
    affine(h, w.outWeight, w.outBias, out);
  } else {
    affine(pooled, w.outWeight, w.outBias, out);
  }
}

/** The ensemble's output (model.ts `ensembleLogits`) for per-member pooled embeddings. */
function outputFromPooled(members: Ensemble, pooled: readonly Float32Array[]): Float64Array {
  const classes = members[0]!.classes;
  const logits = new Float32Array(classes);
  const out = new Float64Array(classes);
  if (members.length === 1) {
    headLogits(members[0]!, pooled[0]!, logits);
    out.set(logits);
    return out;
  }
  members.forEach((member, m) => {
    headLogits(member, pooled[m]!, logits);
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[k]!);
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += Math.exp(logits[k]! - max);
    for (let k = 0; k < classes; k++) out[k]! += Math.exp(logits[k]! - max) / sum / members.length;
  });
  for (let k = 0; k < classes; k++) out[k] = Math.log(out[k]!);
  return out;
}

export function marginOf(output: ArrayLike<number>, classIndex: number): number {
  let mean = 0;
  for (let k = 0; k < output.length; k++) mean += output[k]!;
  return output[classIndex]! - mean / output.length;
}

/**
 * Occlusion weight of each group of occurrences. `groups[g]` lists the positions in `ids` of one feature;
 * returns one weight per group, and the margin of the whole bag.
 */
export function occlusionAttribution(
  members: Ensemble,
  ids: Int32Array,
  groups: readonly number[][],
  classIndex: number,
): { weights: Float64Array; margin: number } {
  const n = ids.length;
  // Per member: the sum of the bag's embedding rows, in float64.
  const sums = members.map((w) => {
    const s = new Float64Array(w.dim);
    for (let i = 0; i < n; i++) for (let j = 0; j < w.dim; j++) s[j]! += w.embedding[ids[i]! * w.dim + j]!;
    return s;
  });
  const pooledWithout = (removed: readonly number[]): Float32Array[] =>
    members.map((w, m) => {
      const pooled = new Float32Array(w.dim);
      const left = n - removed.length;
      if (left === 0) return pooled; // an empty bag pools to zeros, as in model.ts
      for (let j = 0; j < w.dim; j++) {
        let s = sums[m]![j]!;
        for (const i of removed) s -= w.embedding[ids[i]! * w.dim + j]!;
        pooled[j] = s / left;
      }
      return pooled;
    });
  const margin = marginOf(outputFromPooled(members, pooledWithout([])), classIndex);
  const weights = Float64Array.from(
    groups,
    (group) => margin - marginOf(outputFromPooled(members, pooledWithout(group)), classIndex),
  );
  return { weights, margin };
}
