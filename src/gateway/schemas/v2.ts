import { z } from "zod";
import type { Limits } from "../config.ts";
import { badRequest } from "../errors.ts";

/**
 * Open Inference Protocol (KServe V2) REST shapes for a text classifier: one BYTES input "text" [n],
 * outputs "probabilities" FP32 [n, C] (columns in the model's label order) and "label" BYTES [n].
 * https://github.com/kserve/open-inference-protocol (inference_rest.md). Errors keep the gateway's
 * `{"error": {"code", "message"}}` shape rather than the spec's `{"error": "..."}`: one error contract
 * for every route of the gateway (docs/api.md "Errors").
 */
export const INPUT_NAME = "text";
export const OUTPUT_NAMES = ["probabilities", "label"] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

const Parameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

export const InferRequest = z.object({
  id: z.string().optional(),
  parameters: Parameters.optional(),
  inputs: z
    .array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int().nonnegative()),
        datatype: z.string(),
        parameters: Parameters.optional(),
        data: z.array(z.unknown()),
      }),
    )
    .min(1),
  outputs: z.array(z.object({ name: z.string(), parameters: Parameters.optional() })).optional(),
});
export type InferRequest = z.infer<typeof InferRequest>;

const Tensor = z.strictObject({
  name: z.string(),
  datatype: z.string(),
  shape: z.array(z.number().int()),
  data: z.array(z.union([z.number(), z.string()])),
});

export const InferResponse = z.strictObject({
  model_name: z.string(),
  model_version: z.string(),
  id: z.string().optional(),
  outputs: z.array(Tensor),
});

const TensorMetadata = z.strictObject({
  name: z.string(),
  datatype: z.string(),
  shape: z.array(z.number().int()),
});
export const ModelMetadata = z.strictObject({
  name: z.string(),
  versions: z.array(z.string()),
  platform: z.string(),
  inputs: z.array(TensorMetadata),
  outputs: z.array(TensorMetadata),
  parameters: z.strictObject({
    labels: z.array(z.string()),
    calibration_temperature: z
      .number()
      .optional()
      .meta({ description: "Absent while the model has no student" }),
  }),
});

export const ServerMetadata = z.strictObject({
  name: z.string(),
  version: z.string(),
  extensions: z.array(z.string()),
});
export const Live = z.strictObject({ live: z.boolean() });
export const Ready = z.strictObject({ ready: z.boolean() });
export const ModelReady = z.strictObject({ name: z.string(), ready: z.boolean() });

/**
 * The texts of a validated request, under the same limits as /v1/classify. Shape [n] is the natural one;
 * [n, 1] is accepted too, as Triton-style clients send strings that way.
 */
export function textsOf(request: InferRequest, limits: Limits): string[] {
  const [input, ...rest] = request.inputs;
  if (!input || rest.length > 0 || input.name !== INPUT_NAME)
    throw badRequest(`expected exactly one input, named "${INPUT_NAME}"`);
  if (input.datatype !== "BYTES") throw badRequest(`input "${INPUT_NAME}" must have datatype BYTES`);
  const { shape } = input;
  const column = shape.length === 2 && shape[1] === 1;
  if (shape.length !== 1 && !column) throw badRequest(`input "${INPUT_NAME}" must have shape [n] or [n, 1]`);
  const n = shape[0]!;
  if (n < 1 || n > limits.maxBatch)
    throw badRequest(`input "${INPUT_NAME}" must hold 1 to ${limits.maxBatch} texts`);
  const flat = input.data.flatMap((d) => (column && Array.isArray(d) ? d : [d]));
  if (flat.length !== n)
    throw badRequest(`input "${INPUT_NAME}" has shape [${shape.join(", ")}] but ${flat.length} values`);
  return flat.map((d, i) => {
    if (typeof d !== "string") throw badRequest(`inputs.0.data.${i}: BYTES elements must be strings`);
    if (!/\S/.test(d)) throw badRequest(`inputs.0.data.${i}: must not be empty or whitespace only`);
    if (d.length > limits.maxTextChars)
      throw badRequest(`inputs.0.data.${i}: longer than ${limits.maxTextChars} characters`);
    return d;
  });
}

/** The requested outputs in request order (duplicates dropped), or all of them. */
export function outputsOf(request: InferRequest): OutputName[] {
  if (!request.outputs) return [...OUTPUT_NAMES];
  const names: OutputName[] = [];
  for (const { name } of request.outputs) {
    const known = OUTPUT_NAMES.find((o) => o === name);
    if (!known) throw badRequest(`unknown output "${name}" (outputs: ${OUTPUT_NAMES.join(", ")})`);
    if (!names.includes(known)) names.push(known);
  }
  return names;
}
