import { z } from "zod";
import { textSchema } from "../../core/text.ts";
import * as v2 from "../../core/v2.ts";
import type { Limits } from "../config.ts";
import { badRequest, parseRequest } from "../errors.ts";

/**
 * The gateway's view of the Open Inference Protocol (KServe V2) shapes of core/v2.ts. Errors keep the
 * gateway's `{"error": {"code", "message"}}` shape rather than the spec's `{"error": "..."}`: one error
 * contract for every route of the gateway.
 */
export {
  INPUT_NAME,
  InferRequest,
  InferResponse,
  Live,
  ModelReady,
  OUTPUT_NAMES,
  type OutputName,
  Ready,
  ServerMetadata,
} from "../../core/v2.ts";

/** The gateway's metadata extension: the column labels, and the temperature they were calibrated with. */
export const ModelMetadata = v2.modelMetadataSchema(
  z.strictObject({ labels: v2.ColumnLabels, calibration_temperature: z.number() }),
);
export type ModelMetadata = z.infer<typeof ModelMetadata>;

const invalid = (message: string) => badRequest(message);

/** The texts of a validated request, under the same limits and text rules as /v1/classify. */
export function textsOf(request: v2.InferRequest, limits: Limits): string[] {
  const Text = textSchema(limits.maxTextChars);
  const checkText = (text: string, param: string) => parseRequest(Text, text, param);
  return v2.textsOf(request, { maxBatch: limits.maxBatch, checkText }, invalid);
}

/** The requested outputs in request order (duplicates dropped), or all of them. */
export function outputsOf(request: v2.InferRequest): v2.OutputName[] {
  return v2.outputsOf(request, invalid);
}
