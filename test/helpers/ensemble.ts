import { roundToFloat16 } from "../../src/core/float16.ts";
import { type EmbeddingBagWeights, type Ensemble, forwardLogits } from "../../src/core/model.ts";
import { dequantizeRows, quantizeRows } from "../../src/core/quantize.ts";
import { mulberry32 } from "../../src/core/random.ts";
import { softmax } from "../../src/core/softmax.ts";

/**
 * Runtime-neutral helpers for the ONNX parity tests (Node with onnxruntime-node, workerd with
 * onnxruntime-web): random small models, random bags and the TypeScript reference answer.
 */

/** The project's seeded generator (mulberry32), so failures reproduce. */
export const seededRandom = mulberry32;

export interface ModelShape {
  buckets: number;
  dim: number;
  hidden: number;
  classes: number;
}

function uniform(rand: () => number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

export function randomModel(rand: () => number, shape: ModelShape): EmbeddingBagWeights {
  const { buckets, dim, hidden, classes } = shape;
  const head = hidden > 0 ? hidden : dim;
  return {
    ...shape,
    embedding: uniform(rand, buckets * dim, 1),
    hiddenWeight: hidden > 0 ? uniform(rand, dim * hidden, 2 / Math.sqrt(dim)) : null,
    hiddenBias: hidden > 0 ? uniform(rand, hidden, 0.1) : null,
    outWeight: uniform(rand, head * classes, 3 / Math.sqrt(head)),
    outBias: uniform(rand, classes, 0.1),
  };
}

export function randomEnsemble(
  rand: () => number,
  shape: ModelShape,
  members: number,
): EmbeddingBagWeights[] {
  return Array.from({ length: members }, () => randomModel(rand, shape));
}

/** `n` bags of 0…maxLength ids in [0, buckets), with duplicates; the first bag is always empty. */
export function randomBags(rand: () => number, n: number, buckets: number, maxLength: number): Int32Array[] {
  const bags: Int32Array[] = [new Int32Array(0)];
  for (let i = 1; i < n; i++) {
    const len = 1 + Math.floor(rand() * maxLength);
    bags.push(Int32Array.from({ length: len }, () => Math.floor(rand() * buckets)));
  }
  return bags;
}

/** The weights the graph computes with: the embedding rounded to float16, or quantised to int8 rows. */
export function asStored(members: Ensemble, dtype: "float32" | "float16" | "int8"): EmbeddingBagWeights[] {
  return members.map((m) => {
    if (dtype === "float16") return { ...m, embedding: roundToFloat16(m.embedding) };
    if (dtype === "int8") {
      const { values, scales } = quantizeRows(m.embedding, m.buckets, m.dim);
      return { ...m, embedding: dequantizeRows(values, scales, m.dim) };
    }
    return m;
  });
}

/** Mean of the members' softmax probabilities for one bag (a single model is one member). */
export function referenceProbs(members: Ensemble, bag: Int32Array): Float64Array {
  const classes = members[0]!.classes;
  const mean = new Float64Array(classes);
  const logits = new Float32Array(classes);
  const probs = new Float64Array(classes);
  for (const m of members) {
    forwardLogits(m, bag, logits);
    softmax(logits, probs);
    for (let c = 0; c < classes; c++) mean[c]! += probs[c]! / members.length;
  }
  return mean;
}

/**
 * Largest absolute difference between the probabilities the graph's output row implies and the
 * reference. The output is logits (one member) or log mean probabilities (ensemble): softmax gives the
 * probabilities in both cases; for an ensemble exp(output) must give them too, unnormalised.
 */
export function probDifference(
  output: ArrayLike<number>,
  reference: Float64Array,
  ensemble: boolean,
): number {
  const probs = new Float64Array(reference.length);
  softmax(output, probs);
  let worst = 0;
  for (let c = 0; c < reference.length; c++) {
    worst = Math.max(worst, Math.abs(probs[c]! - reference[c]!));
    if (ensemble) worst = Math.max(worst, Math.abs(Math.exp(output[c]!) - reference[c]!));
  }
  return worst;
}
