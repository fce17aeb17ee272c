import { z } from "zod";
import { textSchema } from "../../core/text.ts";
import * as v2 from "../../core/v2.ts";
import type { GatewayConfig, Limits } from "../config.ts";
import { badRequest, parseRequest } from "../errors.ts";
import { perConfig } from "./per-config.ts";

/**
 * The gateway's view of the Open Inference Protocol (KServe V2) shapes of core/v2.ts. Errors keep the
 * gateway's `{"error": {"code", "message"}}` shape rather than the spec's `{"error": "..."}`: one error
 * contract for every route of the gateway.
 */
export { INPUT_NAME, OUTPUT_NAMES, type OutputName } from "../../core/v2.ts";

// The core shapes under the component names the OpenAPI document gives them (meta returns a copy).
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

/**
 * A tuple of exactly these items. The OpenAPI generator (zod-to-openapi) writes only `prefixItems` for a
 * tuple, which lets longer and shorter arrays through; the bounds say what zod checks.
 */
function exactTuple<const T extends [z.ZodType, ...z.ZodType[]]>(items: T) {
  return z.tuple(items).meta({ minItems: items.length, maxItems: items.length, items: false });
}

/**
 * The infer request this gateway accepts, under its limits: one BYTES input "text" of shape [n] with n
 * texts, or [n, 1] with the texts flat or each in a one-element array (Triton-style), n ≤ MAX_BATCH; the
 * outputs by name. The route validates with it and /openapi.json publishes it (routes/openapi.ts), so
 * the document refuses what the gateway refuses. One rule is beyond JSON Schema and checked by textsOf
 * alone: data holds exactly shape[0] texts.
 */
export function inferRequestSchema(limits: Limits) {
  const Text = textSchema(limits.maxTextChars);
  const rows = z.number().int().min(1).max(limits.maxBatch);
  const data = (element: z.ZodType) => z.array(element).min(1).max(limits.maxBatch);
  const parameters = v2.InferRequest.shape.parameters;
  const tensor = z.union(
    [
      z.object({ shape: exactTuple([rows]), data: data(Text) }),
      z.object({ shape: exactTuple([rows, z.literal(1)]), data: data(z.union([Text, exactTuple([Text])])) }),
    ],
    {
      error: `input "${v2.INPUT_NAME}" must have shape [n] with n texts as data, or [n, 1] with the texts flat or each in a one-element array, 1 ≤ n ≤ ${limits.maxBatch}`,
    },
  );
  const input = z
    .object({
      name: z.literal(v2.INPUT_NAME, { error: `the model takes one input "${v2.INPUT_NAME}"` }),
      datatype: z.literal("BYTES", { error: `input "${v2.INPUT_NAME}" must have datatype BYTES` }),
      parameters,
    })
    .and(tensor);
  return v2.InferRequest.extend({
    inputs: z
      .array(input)
      .min(1, { error: `expected exactly one input "${v2.INPUT_NAME}"` })
      .max(1, { error: `expected exactly one input "${v2.INPUT_NAME}"` }),
    outputs: z.array(z.object({ name: z.enum(v2.OUTPUT_NAMES), parameters })).optional(),
  }).meta({ id: "InferRequest", description: "data holds exactly shape[0] texts" });
}

/** This deployment's infer request schema, built once per configuration object. */
export const inferRequestFor = perConfig((config: GatewayConfig) => inferRequestSchema(config.limits));

/**
 * Where the infer routes declare their body: the schema depends on the deployment's limits, so
 * /openapi.json (routes/openapi.ts) adds this deployment's InferRequest under this name.
 */
export const INFER_REQUEST_REF = { $ref: "#/components/schemas/InferRequest" };

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
