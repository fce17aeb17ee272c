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
export { INPUT_NAME, OUTPUT_NAMES, type OutputName } from "../../core/v2.ts";

// The core shapes under the component names the OpenAPI document gives them (meta returns a copy).
export const InferRequest = v2.InferRequest.meta({ id: "InferRequest" });
export type InferRequest = v2.InferRequest;
export const InferResponse = v2.InferResponse.meta({ id: "InferResponse" });
export const ServerMetadata = v2.ServerMetadata.meta({ id: "ServerMetadata" });
export const Live = v2.Live.meta({ id: "Live" });
export const Ready = v2.Ready.meta({ id: "Ready" });
export const ModelReady = v2.ModelReady.meta({ id: "ModelReady" });

/** The gateway's metadata extension: the column labels, and the temperature they were calibrated with. */
export const ModelMetadata = v2
  .modelMetadataSchema(
    z.strictObject({
      labels: v2.ColumnLabels,
      calibration_temperature: z
        .number()
        .optional()
        .meta({ description: "The student's; absent while the model has no student (platform teacher)" }),
    }),
  )
  .meta({ id: "ModelMetadata" });
export type ModelMetadata = z.infer<typeof ModelMetadata>;

const invalid = (message: string) => badRequest(message);

/** The texts of a validated request, under the same limits and text rules as /v1/classify. */
export function textsOf(request: InferRequest, limits: Limits): string[] {
  const Text = textSchema(limits.maxTextChars);
  const checkText = (text: string, param: string) => parseRequest(Text, text, param);
  return v2.textsOf(request, { maxBatch: limits.maxBatch, checkText }, invalid);
}

/** The requested outputs in request order (duplicates dropped), or all of them. */
export function outputsOf(request: InferRequest): v2.OutputName[] {
  return v2.outputsOf(request, invalid);
}
