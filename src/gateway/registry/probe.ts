import * as ort from "onnxruntime-web/wasm";
import { padBags } from "../../core/batch.ts";
import { featurize } from "../../core/featurizer.ts";
import type { ModelManifest } from "../../core/manifest.ts";
import { createSession } from "../runtime/onnx-session.ts";

/**
 * Proves an uploaded graph can serve before it is stored: it loads in the same onnxruntime-web runtime
 * that will serve it, takes the manifest's input names, and turns one real bag of feature ids into
 * finite logits of shape [1, classes]. A graph that fails here would otherwise fail only when promoted.
 */
const PROBE_TEXT = "what is the probe text for this model";

export async function probeOnnx(manifest: ModelManifest, bytes: ArrayBuffer): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await createSession(bytes);
  } catch (error) {
    throw new Error(`onnxruntime-web cannot load it (${messageOf(error)})`);
  }
  try {
    const { inputs, output } = manifest.onnx;
    for (const name of [inputs.ids, inputs.weights])
      if (!session.inputNames.includes(name))
        throw new Error(`it has no input "${name}" (inputs: ${session.inputNames.join(", ")})`);
    if (!session.outputNames.includes(output))
      throw new Error(`it has no output "${output}" (outputs: ${session.outputNames.join(", ")})`);
    const batch = padBags([featurize(PROBE_TEXT, manifest.featurizer)]);
    const dims = [batch.rows, batch.length];
    let result: ort.InferenceSession.ReturnType;
    try {
      result = await session.run({
        [inputs.ids]: new ort.Tensor("int32", batch.ids, dims),
        [inputs.weights]: new ort.Tensor("float32", batch.weights, dims),
      });
    } catch (error) {
      throw new Error(`running it on a probe bag failed (${messageOf(error)})`);
    }
    const logits = result[output];
    const classes = manifest.labels.length;
    if (logits?.type !== "float32") throw new Error(`output "${output}" is not float32`);
    if (logits.dims.length !== 2 || logits.dims[0] !== 1 || logits.dims[1] !== classes)
      throw new Error(`output "${output}" has shape [${logits.dims.join(", ")}], expected [1, ${classes}]`);
    if (!(logits.data as Float32Array).every(Number.isFinite))
      throw new Error(`output "${output}" is not finite on a probe bag`);
  } finally {
    // The WASM heap does not shrink: give the probe's memory back before anything else is loaded.
    await session.release();
  }
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
