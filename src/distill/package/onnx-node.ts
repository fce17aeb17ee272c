import * as ort from "onnxruntime-node";
import { padBags, splitRows } from "../../core/batch.ts";
import type { OnnxSpec } from "../../core/manifest.ts";

/** Runs a shipped graph with onnxruntime-node: the same bytes the Worker and teacher server load. */
export async function onnxLogits(
  bytes: Uint8Array,
  spec: Pick<OnnxSpec, "inputs" | "output" | "architecture">,
  bags: readonly Int32Array[],
  batchSize = 512,
): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const classes = spec.architecture.classes;
  const out: Float32Array[] = [];
  try {
    for (let start = 0; start < bags.length; start += batchSize) {
      const batch = padBags(bags.slice(start, start + batchSize));
      const feeds = {
        [spec.inputs.ids]: new ort.Tensor("int32", batch.ids, [batch.rows, batch.length]),
        [spec.inputs.weights]: new ort.Tensor("float32", batch.weights, [batch.rows, batch.length]),
      };
      const result = await session.run(feeds);
      const logits = result[spec.output]!.data as Float32Array;
      out.push(...splitRows(Float32Array.from(logits), batch.rows, classes));
    }
  } finally {
    await session.release();
  }
  return out;
}
