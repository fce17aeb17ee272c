import { expect } from "vitest";
import type { Ensemble } from "../../src/core/model.ts";
import { readEnsembleWeights } from "../../src/core/onnx-weights.ts";
import { probDifference, referenceProbs } from "./ensemble.ts";

/** Runs a batch of bags through some ONNX runtime; returns one output row per bag. */
export type RunOnnx = (onnxBytes: Uint8Array, bags: Int32Array[]) => Promise<Float32Array[]>;

export const PROB_TOLERANCE = 1e-5;

/**
 * The parity contract: for every bag, the graph's probabilities equal those of the TypeScript forward
 * pass over the weights read back from the same bytes (or `members` when given), within 1e-5.
 * Returns the worst difference seen so callers can report it.
 */
export async function assertParity(
  run: RunOnnx,
  onnxBytes: Uint8Array,
  bags: Int32Array[],
  members: Ensemble = readEnsembleWeights(onnxBytes),
): Promise<number> {
  const rows = await run(onnxBytes, bags);
  expect(rows).toHaveLength(bags.length);
  let worst = 0;
  for (let i = 0; i < bags.length; i++) {
    const diff = probDifference(rows[i]!, referenceProbs(members, bags[i]!), members.length > 1);
    if (!(diff <= PROB_TOLERANCE)) {
      throw new Error(`bag ${i} (${bags[i]!.length} ids): probabilities differ by ${diff}`);
    }
    worst = Math.max(worst, diff);
  }
  return worst;
}
