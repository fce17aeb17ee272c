import { createSession, type OnnxIo, runLogits } from "../../src/gateway/runtime/onnx-session.ts";
import type { RunOnnx } from "../helpers/parity.ts";

/** onnxruntime-web in workerd, through the gateway's own session code (a fresh session per call). */
export function runInWorkerd(io: OnnxIo, classes: number): RunOnnx {
  return async (bytes, bags) => runLogits(await createSession(bytes), io, bags, classes);
}
