import type { EmbeddingBagWeights } from "../../core/model.ts";

/**
 * Exact attribution for one member with no hidden layer (the shipped students). Its logits are
 *
 *   z_c = b_c + Σ_i (1/n) · E[id_i] · W[:, c]
 *
 * so the margin of class c over the mean logit, m_c = z_c − mean_k z_k, splits exactly into one term per
 * feature occurrence, (1/n) · E[id_i] · (W[:, c] − mean_k W[:, k]), plus the bias term b_c − mean_k b_k.
 * Subtracting the mean makes the terms independent of the other classes' shared offset (softmax ignores
 * it), and lets them sum to a number a reader can check against the logits.
 */
export interface LinearAttribution {
  /** One term per occurrence, in bag order (duplicates each get their own). */
  terms: Float64Array;
  /** b_c − mean_k b_k. */
  bias: number;
}

// mean_k W[j, k] for each row j, computed once per weights object.
const meanColumns = new WeakMap<EmbeddingBagWeights, Float64Array>();

function rowMeans(w: EmbeddingBagWeights): Float64Array {
  let means = meanColumns.get(w);
  if (!means) {
    const { dim, classes, outWeight } = w;
    means = new Float64Array(dim);
    for (let j = 0; j < dim; j++) {
      let sum = 0;
      for (let k = 0; k < classes; k++) sum += outWeight[j * classes + k]!;
      means[j] = sum / classes;
    }
    meanColumns.set(w, means);
  }
  return means;
}

export function linearAttribution(
  w: EmbeddingBagWeights,
  ids: Int32Array,
  classIndex: number,
): LinearAttribution {
  if (w.hidden !== 0) throw new Error("linearAttribution: the model has a hidden layer; use occlusion");
  const { dim, classes, embedding, outWeight, outBias } = w;
  const means = rowMeans(w);
  const n = ids.length;
  const terms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = ids[i]! * dim;
    let dot = 0;
    for (let j = 0; j < dim; j++)
      dot += embedding[row + j]! * (outWeight[j * classes + classIndex]! - means[j]!);
    terms[i] = dot / n;
  }
  let biasMean = 0;
  for (let k = 0; k < classes; k++) biasMean += outBias[k]!;
  return { terms, bias: outBias[classIndex]! - biasMean / classes };
}
