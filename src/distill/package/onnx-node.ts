import * as ort from "onnxruntime-node";
import { padBags, splitRows } from "../../core/batch.ts";
import type { OnnxSpec } from "../../core/manifest.ts";

type Spec = Pick<OnnxSpec, "inputs" | "output" | "architecture">;

/**
 * An onnxruntime-node session over a shipped graph (the same bytes the Worker and the teacher server
 * load), one intra-op thread, run on bags padded by core/batch.ts as everywhere. Keep it open for many
 * calls (benchmarks); release it when done.
 */
export interface OnnxNodeSession {
  logits(bags: readonly Int32Array[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}

export async function openOnnxNode(bytes: Uint8Array, spec: Spec): Promise<OnnxNodeSession> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const classes = spec.architecture.classes;
  return {
    async logits(bags) {
      const batch = padBags(bags);
      const dims = [batch.rows, batch.length];
      const result = await session.run({
        [spec.inputs.ids]: new ort.Tensor("int32", batch.ids, dims),
        [spec.inputs.weights]: new ort.Tensor("float32", batch.weights, dims),
      });
      const out = result[spec.output];
      if (out?.type !== "float32") throw new Error(`model output ${spec.output} missing or not float32`);
      return splitRows(Float32Array.from(out.data as Float32Array), batch.rows, classes);
    },
    release: () => session.release(),
  };
}

/** Logits of every bag, in batches, through a session opened for this call. */
export async function onnxLogits(
  bytes: Uint8Array,
  spec: Spec,
  bags: readonly Int32Array[],
  batchSize = 512,
): Promise<Float32Array[]> {
  const session = await openOnnxNode(bytes, spec);
  const out: Float32Array[] = [];
  try {
    for (let start = 0; start < bags.length; start += batchSize)
      out.push(...(await session.logits(bags.slice(start, start + batchSize))));
  } finally {
    await session.release();
  }
  return out;
}
