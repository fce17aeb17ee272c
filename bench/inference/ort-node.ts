import * as ort from "onnxruntime-node";
import { padBags, splitRows } from "../../src/core/batch.ts";
import type { OnnxSpec } from "../../src/core/manifest.ts";
import type { Engine } from "./measure.ts";

/**
 * onnxruntime-node over the shipped bytes as an engine that keeps its session open across calls (the
 * toolkit's onnxLogits opens one per evaluation). One intra-op thread, as the toolkit and as the
 * single-threaded WASM build in workerd; inputs padded by core/batch.ts, as everywhere.
 */
export async function ortNodeEngine(
  bytes: Uint8Array,
  spec: Pick<OnnxSpec, "inputs" | "output" | "architecture">,
): Promise<{ engine: Engine; release: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const classes = spec.architecture.classes;
  const engine: Engine = async (bags) => {
    const batch = padBags(bags);
    const dims = [batch.rows, batch.length];
    const result = await session.run({
      [spec.inputs.ids]: new ort.Tensor("int32", batch.ids, dims),
      [spec.inputs.weights]: new ort.Tensor("float32", batch.weights, dims),
    });
    const out = result[spec.output];
    if (out?.type !== "float32") throw new Error(`model output ${spec.output} missing or not float32`);
    return splitRows(out.data as Float32Array, batch.rows, classes);
  };
  return { engine, release: () => session.release() };
}
