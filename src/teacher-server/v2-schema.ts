import { z } from "zod";
import { checkText } from "./context.ts";
import { HttpError } from "./http.ts";
import type { TeacherModel } from "./model.ts";

/**
 * Open Inference Protocol (KServe V2) REST shapes for a text classifier: one BYTES input "text" [n],
 * outputs "probabilities" FP32 [n, C] and "label" BYTES [n].
 * Spec: https://github.com/kserve/open-inference-protocol/blob/main/specification/protocol/inference_rest.md
 */
export const INPUT_NAME = "text";
export const OUTPUT_NAMES = ["probabilities", "label"] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

// The spec allows only scalar parameter values.
const Parameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

const RequestInput = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  datatype: z.string(),
  parameters: Parameters.optional(),
  data: z.array(z.unknown()),
});

export const InferRequest = z.object({
  id: z.string().optional(),
  parameters: Parameters.optional(),
  inputs: z.array(RequestInput).min(1),
  outputs: z.array(z.object({ name: z.string(), parameters: Parameters.optional() })).optional(),
});
export type InferRequest = z.infer<typeof InferRequest>;

export interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ResponseOutput extends TensorMetadata {
  data: (number | string)[];
}

function bad(message: string, param: string): HttpError {
  return new HttpError(400, message, "invalid_input", param);
}

/**
 * The texts of a validated request. Shape [n] is the natural one; [n, 1] is accepted too because
 * Triton-style clients send strings that way, with data flat or nested one level (the spec allows both).
 */
export function textsOf(request: InferRequest, maxBatch: number): string[] {
  const input = request.inputs.find((i) => i.name === INPUT_NAME);
  const other = request.inputs.find((i) => i.name !== INPUT_NAME);
  if (other) throw bad(`unknown input "${other.name}": the model takes one input "${INPUT_NAME}"`, "inputs");
  if (!input || request.inputs.length !== 1)
    throw bad(`expected exactly one input "${INPUT_NAME}"`, "inputs");
  if (input.datatype !== "BYTES") {
    throw bad(`input "${INPUT_NAME}" must have datatype BYTES, got ${input.datatype}`, "inputs.0.datatype");
  }
  const { shape } = input;
  const columnShape = shape.length === 2 && shape[1] === 1;
  if (shape.length !== 1 && !columnShape) {
    throw bad(
      `input "${INPUT_NAME}" must have shape [n] (or [n, 1]), got [${shape.join(", ")}]`,
      "inputs.0.shape",
    );
  }
  const n = shape[0]!;
  if (n === 0) throw bad(`input "${INPUT_NAME}" has no texts`, "inputs.0.shape");
  if (n > maxBatch) throw bad(`at most ${maxBatch} texts per request, got ${n}`, "inputs.0.shape");
  const flat = input.data.flatMap((d) => (columnShape && Array.isArray(d) ? d : [d]));
  if (flat.length !== n) {
    throw bad(
      `input "${INPUT_NAME}" has shape [${shape.join(", ")}] but ${flat.length} values`,
      "inputs.0.data",
    );
  }
  return flat.map((d, i) => {
    if (typeof d !== "string")
      throw bad(`inputs.0.data.${i}: BYTES elements must be strings`, "inputs.0.data");
    return checkText(d, `inputs.0.data.${i}`);
  });
}

/** The requested outputs in request order (duplicates dropped), or all of them. */
export function outputsOf(request: InferRequest): OutputName[] {
  if (!request.outputs) return [...OUTPUT_NAMES];
  const names: OutputName[] = [];
  for (const { name } of request.outputs) {
    const known = OUTPUT_NAMES.find((o) => o === name);
    if (!known) throw bad(`unknown output "${name}" (outputs: ${OUTPUT_NAMES.join(", ")})`, "outputs");
    if (!names.includes(known)) names.push(known);
  }
  return names;
}

export function modelMetadata(model: TeacherModel) {
  const classes = model.labels.length;
  const inputs: TensorMetadata[] = [{ name: INPUT_NAME, datatype: "BYTES", shape: [-1] }];
  const outputs: TensorMetadata[] = [
    { name: "probabilities", datatype: "FP32", shape: [-1, classes] },
    { name: "label", datatype: "BYTES", shape: [-1] },
  ];
  return {
    name: model.name,
    versions: [model.version],
    platform: "onnxruntime",
    inputs,
    outputs,
    // Server-specific extension: column c of "probabilities" is labels[c].
    parameters: { task: model.manifest.task, labels: [...model.labels] },
  };
}
