import ortWasm from "onnxruntime-web/ort-wasm-simd-threaded.wasm";
// The WASM-only build: the package root would pull in the 28 MB WebGPU build.
import * as ort from "onnxruntime-web/wasm";
import { type PaddedBatch, padBags, splitRows } from "../../core/batch.ts";
import type { OnnxSpec } from "../../core/manifest.ts";
import { installPrecompiledWasm, WASM_MARKER } from "./wasm-instantiate.ts";

/**
 * onnxruntime-web inside workerd (docs/architecture.md "Platform facts"): single-threaded, no proxy worker, and
 * the WASM binary comes precompiled through the marker trick in wasm-instantiate.ts.
 */

export type InferenceSession = ort.InferenceSession;

let configured = false;

function configureOrt(): void {
  if (configured) return;
  installPrecompiledWasm(ortWasm);
  ort.env.wasm.numThreads = 1; // workerd has no SharedArrayBuffer threads
  ort.env.wasm.proxy = false; // nor Web Workers
  ort.env.wasm.wasmBinary = WASM_MARKER;
  configured = true;
}

let created = 0;

/** Sessions this isolate has asked onnxruntime-web for: what readiness and validation must not spend. */
export function sessionsCreated(): number {
  return created;
}

/** A session over a model's bytes (an ArrayBuffer from the Data rule or R2, or a Uint8Array). */
export async function createSession(
  modelBytes: ArrayBuffer | Uint8Array,
  options: ort.InferenceSession.SessionOptions = {},
): Promise<InferenceSession> {
  configureOrt();
  created++;
  const bytes = modelBytes instanceof Uint8Array ? modelBytes : new Uint8Array(modelBytes);
  return ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], ...options });
}

/** The input/output names of a graph (the same fields as OnnxSpec in the manifest). */
export type OnnxIo = Pick<OnnxSpec, "inputs" | "output">;

/** Runs an already padded batch; returns the raw output, row-major [rows × classes]. */
export async function runPadded(
  session: InferenceSession,
  io: OnnxIo,
  batch: PaddedBatch,
): Promise<Float32Array> {
  const dims = [batch.rows, batch.length];
  const feeds = {
    [io.inputs.ids]: new ort.Tensor("int32", batch.ids, dims),
    [io.inputs.weights]: new ort.Tensor("float32", batch.weights, dims),
  };
  const out = (await session.run(feeds))[io.output];
  if (out?.type !== "float32") throw new Error(`model output ${io.output} missing or not float32`);
  return out.data as Float32Array;
}

/** Logits (or ensemble log-probabilities) for each bag of feature ids, one row per bag. */
export async function runLogits(
  session: InferenceSession,
  io: OnnxIo,
  bags: readonly Int32Array[],
  classes: number,
): Promise<Float32Array[]> {
  if (bags.length === 0) return [];
  const data = await runPadded(session, io, padBags(bags));
  return splitRows(data, bags.length, classes);
}
