import { z } from "zod";

/**
 * Open Inference Protocol (KServe V2) REST shapes for a text classifier, for every side that speaks it:
 * the gateway's /v2 routes, the local teacher server, and the gateway's kserve-v2 teacher client.
 * The classifier takes one BYTES input "text" [n] and gives "probabilities" FP32 [n, C] (column c is
 * labels[c]) and "label" BYTES [n].
 * Spec: https://github.com/kserve/open-inference-protocol/blob/main/specification/protocol/inference_rest.md
 */
export const INPUT_NAME = "text";
export const OUTPUT_NAMES = ["probabilities", "label"] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

// The spec allows only scalar parameter values.
const Parameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

/** name, datatype, shape: what a tensor is, in metadata and in data alike. -1 marks a variable dimension. */
const tensor = { name: z.string(), datatype: z.string(), shape: z.array(z.number().int()) };
export const TensorMetadata = z.strictObject(tensor);
export type TensorMetadata = z.infer<typeof TensorMetadata>;

export const InferRequest = z.object({
  id: z.string().optional(),
  parameters: Parameters.optional(),
  inputs: z
    .array(
      z.object({
        ...tensor,
        shape: z.array(z.number().int().nonnegative()),
        parameters: Parameters.optional(),
        // Checked by textsOf: the spec lets data be flat or nested, and the element rules are per surface.
        data: z.array(z.unknown()),
      }),
    )
    .min(1),
  outputs: z.array(z.object({ name: z.string(), parameters: Parameters.optional() })).optional(),
});
export type InferRequest = z.infer<typeof InferRequest>;

/** An output tensor as Apprentice's servers send it: data flat, row-major. */
export const ResponseOutput = z.strictObject({
  ...tensor,
  parameters: Parameters.optional(),
  data: z.array(z.union([z.number(), z.string()])),
});
export type ResponseOutput = z.infer<typeof ResponseOutput>;

export const InferResponse = z.strictObject({
  model_name: z.string(),
  model_version: z.string(),
  id: z.string().optional(),
  parameters: Parameters.optional(),
  outputs: z.array(ResponseOutput),
});
export type InferResponse = z.infer<typeof InferResponse>;

/**
 * An infer answer as a client reads it from any V2 server (Triton, KServe, ours): only what it uses is
 * checked, other fields are let through (the spec allows extensions), and data may be nested row-major
 * as the spec allows (flatten before checking elements).
 */
export const InferAnswer = z.looseObject({
  outputs: z.array(z.looseObject({ ...tensor, data: z.array(z.unknown()) })),
});
export type InferAnswer = z.infer<typeof InferAnswer>;

/**
 * Model metadata as our servers send it. `parameters` is each server's extension; both name the
 * columns of "probabilities" in `labels` (the spec has no standard place for class names).
 */
export function modelMetadataSchema<P extends z.ZodType>(parameters: P) {
  return z.strictObject({
    name: z.string(),
    versions: z.array(z.string()),
    platform: z.string(),
    inputs: z.array(TensorMetadata),
    outputs: z.array(TensorMetadata),
    parameters,
  });
}

/** The column labels of "probabilities", in metadata `parameters.labels`. */
export const ColumnLabels = z.array(z.string()).min(1);

/** Model metadata as a client reads it: the name, and the column labels when the server gives them. */
export const MetadataAnswer = z.looseObject({
  name: z.string(),
  parameters: z.looseObject({ labels: ColumnLabels.optional() }).optional(),
});

export const ServerMetadata = z.strictObject({
  name: z.string(),
  version: z.string(),
  extensions: z.array(z.string()),
});
export const Live = z.strictObject({ live: z.boolean() });
export const Ready = z.strictObject({ ready: z.boolean() });
export const ModelReady = z.strictObject({ name: z.string(), ready: z.boolean() });

/** The classifier's tensors for model metadata: [-1] texts in, [-1, classes] probabilities out. */
export function classifierTensors(classes: number): { inputs: TensorMetadata[]; outputs: TensorMetadata[] } {
  return {
    inputs: [{ name: INPUT_NAME, datatype: "BYTES", shape: [-1] }],
    outputs: [
      { name: "probabilities", datatype: "FP32", shape: [-1, classes] },
      { name: "label", datatype: "BYTES", shape: [-1] },
    ],
  };
}

/** One text's answer, as both servers have it. */
export interface ClassifierAnswer {
  label: string;
  probs: ArrayLike<number>;
}

/** The wanted output tensors for n answers over `classes` columns. */
export function classifierOutputs(
  wanted: readonly OutputName[],
  answers: readonly ClassifierAnswer[],
  classes: number,
): ResponseOutput[] {
  const n = answers.length;
  return wanted.map((name) =>
    name === "probabilities"
      ? { name, datatype: "FP32", shape: [n, classes], data: answers.flatMap((a) => Array.from(a.probs)) }
      : { name, datatype: "BYTES", shape: [n], data: answers.map((a) => a.label) },
  );
}

/** How a surface words its errors: a 400 with a message and the offending field. */
export type Invalid = (message: string, param: string) => Error;

/** The rules a surface applies to the texts of a request, on top of the protocol's. */
export interface TextRules {
  maxBatch: number;
  /** Checks one text (param names it, e.g. "inputs.0.data.2") and returns it, or throws the surface's 400. */
  checkText(text: string, param: string): string;
}

/**
 * The texts of a validated request. Shape [n] is the natural one; [n, 1] is accepted too because
 * Triton-style clients send strings that way, with data flat or nested one level (the spec allows both).
 */
export function textsOf(request: InferRequest, rules: TextRules, invalid: Invalid): string[] {
  const input = request.inputs.find((i) => i.name === INPUT_NAME);
  const other = request.inputs.find((i) => i.name !== INPUT_NAME);
  if (other)
    throw invalid(`unknown input "${other.name}": the model takes one input "${INPUT_NAME}"`, "inputs");
  if (!input || request.inputs.length !== 1)
    throw invalid(`expected exactly one input "${INPUT_NAME}"`, "inputs");
  if (input.datatype !== "BYTES") {
    throw invalid(
      `input "${INPUT_NAME}" must have datatype BYTES, got ${input.datatype}`,
      "inputs.0.datatype",
    );
  }
  const { shape } = input;
  const columnShape = shape.length === 2 && shape[1] === 1;
  if (shape.length !== 1 && !columnShape) {
    throw invalid(
      `input "${INPUT_NAME}" must have shape [n] (or [n, 1]), got [${shape.join(", ")}]`,
      "inputs.0.shape",
    );
  }
  const n = shape[0]!;
  if (n === 0) throw invalid(`input "${INPUT_NAME}" has no texts`, "inputs.0.shape");
  if (n > rules.maxBatch)
    throw invalid(`at most ${rules.maxBatch} texts per request, got ${n}`, "inputs.0.shape");
  const flat = input.data.flatMap((d) => (columnShape && Array.isArray(d) ? d : [d]));
  if (flat.length !== n) {
    throw invalid(
      `input "${INPUT_NAME}" has shape [${shape.join(", ")}] but ${flat.length} values`,
      "inputs.0.data",
    );
  }
  return flat.map((d, i) => {
    const param = `inputs.0.data.${i}`;
    if (typeof d !== "string") throw invalid(`${param}: BYTES elements must be strings`, "inputs.0.data");
    return rules.checkText(d, param);
  });
}

/** The requested outputs in request order (duplicates dropped), or all of them. */
export function outputsOf(request: InferRequest, invalid: Invalid): OutputName[] {
  if (!request.outputs) return [...OUTPUT_NAMES];
  const names: OutputName[] = [];
  for (const { name } of request.outputs) {
    const known = OUTPUT_NAMES.find((o) => o === name);
    if (!known) throw invalid(`unknown output "${name}" (outputs: ${OUTPUT_NAMES.join(", ")})`, "outputs");
    if (!names.includes(known)) names.push(known);
  }
  return names;
}
