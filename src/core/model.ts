/**
 * The edge model family: an embedding bag over hashed feature ids, an optional ReLU hidden layer,
 * then logits. Weights are row-major typed arrays so the trainer, the ONNX exporter and the
 * TypeScript forward pass all read the same layout.
 *
 *   h0 = Σ_i w_i · E[id_i]          (w_i = 1/n: mean pooling)
 *   h1 = relu(h0 · W1 + b1)          (only when hidden > 0)
 *   z  = h · W2 + b2                 (logits)
 */
export interface EmbeddingBagWeights {
  buckets: number;
  dim: number;
  /** Width of the hidden layer; 0 means none (fastText-style linear head). */
  hidden: number;
  classes: number;
  /** [buckets × dim] */
  embedding: Float32Array;
  /** [dim × hidden], present when hidden > 0 */
  hiddenWeight: Float32Array | null;
  /** [hidden] */
  hiddenBias: Float32Array | null;
  /** [(hidden || dim) × classes] */
  outWeight: Float32Array;
  /** [classes] */
  outBias: Float32Array;
}

/** An ensemble's prediction is the mean of its members' probabilities; a single model is one member. */
export type Ensemble = readonly EmbeddingBagWeights[];

export function headInputSize(w: EmbeddingBagWeights): number {
  return w.hidden > 0 ? w.hidden : w.dim;
}

/** Mean-pools the embedding rows of `ids` into `out` (length dim). An empty bag gives zeros. */
export function poolEmbeddings(w: EmbeddingBagWeights, ids: Int32Array, out: Float32Array): void {
  const { dim, embedding } = w;
  out.fill(0);
  const n = ids.length;
  if (n === 0) return;
  const scale = 1 / n;
  for (let i = 0; i < n; i++) {
    const row = ids[i]! * dim;
    for (let j = 0; j < dim; j++) out[j]! += embedding[row + j]!;
  }
  for (let j = 0; j < dim; j++) out[j]! *= scale;
}

/** y = x · W + b for a row vector x (length rows) and W [rows × cols]. */
export function affine(x: Float32Array, weight: Float32Array, bias: Float32Array, y: Float32Array): void {
  const cols = bias.length;
  y.set(bias);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = i * cols;
    for (let j = 0; j < cols; j++) y[j]! += xi * weight[row + j]!;
  }
}

/** Scratch buffers for one forward pass, reused across calls so the hot path does not allocate. */
export interface ForwardScratch {
  pooled: Float32Array;
  hidden: Float32Array;
}

export function createScratch(w: EmbeddingBagWeights): ForwardScratch {
  return { pooled: new Float32Array(w.dim), hidden: new Float32Array(Math.max(w.hidden, 1)) };
}

/** Logits for one bag of ids, written into `logits` (length classes). */
export function forwardLogits(
  w: EmbeddingBagWeights,
  ids: Int32Array,
  logits: Float32Array,
  scratch: ForwardScratch = createScratch(w),
): void {
  poolEmbeddings(w, ids, scratch.pooled);
  if (w.hidden > 0) {
    affine(scratch.pooled, w.hiddenWeight!, w.hiddenBias!, scratch.hidden);
    for (let j = 0; j < w.hidden; j++) if (scratch.hidden[j]! < 0) scratch.hidden[j] = 0;
    affine(scratch.hidden, w.outWeight, w.outBias, logits);
  } else {
    affine(scratch.pooled, w.outWeight, w.outBias, logits);
  }
}

/** Scratch buffers for ensembleLogits, reused across calls so a pass over many bags does not allocate. */
export interface EnsembleScratch {
  mean: Float64Array;
  exps: Float64Array;
  logits: Float32Array;
  /** One per member: members may differ in width (only buckets and classes must agree). */
  forward: ForwardScratch[];
}

export function createEnsembleScratch(members: Ensemble): EnsembleScratch {
  const first = members[0];
  if (!first) throw new Error("ensembleLogits: empty ensemble");
  const C = first.classes;
  return {
    mean: new Float64Array(C),
    exps: new Float64Array(C),
    logits: new Float32Array(C),
    forward: members.map(createScratch),
  };
}

/**
 * Output of an ensemble for one bag: log of the mean member probability (a single member gives its
 * plain logits, so one code path serves teacher and student). Matches the exported ONNX graph.
 */
export function ensembleLogits(
  members: Ensemble,
  ids: Int32Array,
  out: Float32Array,
  scratch: EnsembleScratch = createEnsembleScratch(members),
): void {
  const first = members[0];
  if (!first) throw new Error("ensembleLogits: empty ensemble");
  const { mean, exps, logits, forward } = scratch;
  if (members.length === 1) {
    forwardLogits(first, ids, out, forward[0]);
    return;
  }
  const C = first.classes;
  mean.fill(0);
  for (let m = 0; m < members.length; m++) {
    forwardLogits(members[m]!, ids, logits, forward[m]);
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < C; k++) if (logits[k]! > max) max = logits[k]!;
    let sum = 0;
    for (let k = 0; k < C; k++) {
      exps[k] = Math.exp(logits[k]! - max);
      sum += exps[k]!;
    }
    for (let k = 0; k < C; k++) mean[k]! += exps[k]! / sum / members.length;
  }
  for (let k = 0; k < C; k++) out[k] = Math.log(mean[k]!);
}
