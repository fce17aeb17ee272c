import type { OnnxSpec } from "../../src/core/manifest.ts";
import { openOnnxNode } from "../../src/distill/package/onnx-node.ts";
import type { Engine } from "./measure.ts";

/**
 * onnxruntime-node over the shipped bytes as an engine that keeps the toolkit's session open across calls
 * (onnxLogits opens one per evaluation, which would be timed too).
 */
export async function ortNodeEngine(
  bytes: Uint8Array,
  spec: Pick<OnnxSpec, "inputs" | "output" | "architecture">,
): Promise<{ engine: Engine; release: () => Promise<void> }> {
  const session = await openOnnxNode(bytes, spec);
  return { engine: (bags) => session.logits(bags), release: () => session.release() };
}
