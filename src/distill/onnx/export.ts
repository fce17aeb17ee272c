import onnxProto, { type onnx as Onnx } from "onnx-proto";
import { toFloat16Bits } from "../../core/float16.ts";
import type { EmbeddingBagWeights, Ensemble } from "../../core/model.ts";
import {
  memberInitializerNames,
  ONNX_FLOAT,
  ONNX_FLOAT16,
  ONNX_INT8,
  ONNX_INT32,
  ONNX_INT64,
} from "../../core/onnx-weights.ts";
import { quantizeRows } from "../../core/quantize.ts";

/**
 * Writes an embedding-bag model or ensemble (core/model.ts) as an ONNX graph that onnxruntime-web
 * (Worker) and onnxruntime-node (tools, teacher server) run, and that core/onnx-weights.ts reads back.
 *
 *   inputs  ids int32 [N, L], weights float32 [N, L]     (core/batch.ts builds both)
 *   per member i:
 *     Gather(mi.embedding, ids) [N, L, D] → (Cast to float32 when stored as float16)
 *     → Mul(·, Unsqueeze(weights, 2)) → ReduceSum(axis 1) [N, D]
 *     → [MatMul mi.hidden.weight → Add mi.hidden.bias → Relu] → MatMul mi.out.weight → Add mi.out.bias
 *   output  one member: its logits [N, C]; several: Log(Mean_i Softmax(logits_i)) [N, C]
 */

const { onnx } = onnxProto;

export interface ExportOptions {
  /** Storage type of the embedding tables (the bulk of the bytes); all other weights stay float32. */
  embeddingDtype: "float32" | "float16" | "int8";
  /** With int8: quantisation levels 2^(bits−1) − 1 each side (core/quantize.ts); default 8. */
  embeddingBits?: number;
  inputNames?: { ids: string; weights: string };
  outputName?: string;
}

export const DEFAULT_INPUT_NAMES = { ids: "ids", weights: "weights" } as const;
export const DEFAULT_OUTPUT_NAME = "logits";

/** ONNX opset of the default domain: axes of Unsqueeze/ReduceSum are inputs from 13 on. */
export const OPSET = 13;
/** IR version 8 (ONNX 1.10), the version of the onnx-proto definitions; ORT 1.30 reads it. */
export const IR_VERSION = 8;

function floatTensor(name: string, dims: number[], data: Float32Array): Onnx.ITensorProto {
  // raw_data is little-endian; copy through a DataView so the host's byte order does not matter.
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return { name, dims, dataType: ONNX_FLOAT, rawData: raw };
}

function float16Tensor(name: string, dims: number[], data: Float32Array): Onnx.ITensorProto {
  const bits = toFloat16Bits(data);
  const raw = new Uint8Array(bits.length * 2);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < bits.length; i++) view.setUint16(i * 2, bits[i]!, true);
  return { name, dims, dataType: ONNX_FLOAT16, rawData: raw };
}

function int8Tensor(name: string, dims: number[], data: Int8Array): Onnx.ITensorProto {
  return {
    name,
    dims,
    dataType: ONNX_INT8,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function int64Tensor(name: string, values: number[]): Onnx.ITensorProto {
  return { name, dims: [values.length], dataType: ONNX_INT64, int64Data: values };
}

function node(
  opType: string,
  inputs: string[],
  output: string,
  attribute: Onnx.IAttributeProto[] = [],
): Onnx.INodeProto {
  return { opType, input: inputs, output: [output], name: output, attribute };
}

function intAttr(name: string, value: number): Onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
}

/** A value of dims that are either fixed (number) or named dynamic dims (string). */
function valueInfo(name: string, elemType: number, dims: (number | string)[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function checkMember(m: EmbeddingBagWeights, i: number): void {
  const expect = (what: string, got: number | undefined, want: number): void => {
    if (got !== want) throw new Error(`member ${i}: ${what} has ${got} values, expected ${want}`);
  };
  expect("embedding", m.embedding.length, m.buckets * m.dim);
  if (m.hidden > 0) {
    expect("hiddenWeight", m.hiddenWeight?.length, m.dim * m.hidden);
    expect("hiddenBias", m.hiddenBias?.length, m.hidden);
  }
  expect("outWeight", m.outWeight.length, (m.hidden > 0 ? m.hidden : m.dim) * m.classes);
  expect("outBias", m.outBias.length, m.classes);
}

export function exportOnnx(members: Ensemble, opts: ExportOptions): Uint8Array {
  const first = members[0];
  if (!first) throw new Error("exportOnnx: no members");
  const inputNames = opts.inputNames ?? DEFAULT_INPUT_NAMES;
  const outputName = opts.outputName ?? DEFAULT_OUTPUT_NAME;
  const { classes } = first;

  const initializer: Onnx.ITensorProto[] = [int64Tensor("const.axis1", [1]), int64Tensor("const.axis2", [2])];
  const nodes: Onnx.INodeProto[] = [
    node("Unsqueeze", [inputNames.weights, "const.axis2"], "weights.unsqueezed"),
  ];
  const single = members.length === 1;
  const memberOutputs: string[] = [];

  members.forEach((m, i) => {
    checkMember(m, i);
    if (m.classes !== classes || m.buckets !== first.buckets) {
      throw new Error(`member ${i}: buckets/classes differ from member 0`);
    }
    const names = memberInitializerNames(i);
    const p = `m${i}`;
    const shape = [m.buckets, m.dim];
    if (opts.embeddingDtype === "int8") {
      const { values, scales } = quantizeRows(m.embedding, m.buckets, m.dim, opts.embeddingBits);
      initializer.push(int8Tensor(names.embedding, shape, values));
      initializer.push(floatTensor(names.embeddingScale, [m.buckets, 1], scales));
    } else if (opts.embeddingDtype === "float16") {
      initializer.push(float16Tensor(names.embedding, shape, m.embedding));
    } else {
      initializer.push(floatTensor(names.embedding, shape, m.embedding));
    }

    nodes.push(node("Gather", [names.embedding, inputNames.ids], `${p}.gathered`, [intAttr("axis", 0)]));
    let rows = `${p}.gathered`;
    if (opts.embeddingDtype !== "float32") {
      nodes.push(node("Cast", [rows], `${p}.gathered.f32`, [intAttr("to", ONNX_FLOAT)]));
      rows = `${p}.gathered.f32`;
    }
    if (opts.embeddingDtype === "int8") {
      // Dequantise the gathered rows: [N, L, D] · [N, L, 1] row scales.
      nodes.push(node("Gather", [names.embeddingScale, inputNames.ids], `${p}.scales`, [intAttr("axis", 0)]));
      nodes.push(node("Mul", [rows, `${p}.scales`], `${p}.dequantized`));
      rows = `${p}.dequantized`;
    }
    nodes.push(node("Mul", [rows, "weights.unsqueezed"], `${p}.weighted`));
    nodes.push(node("ReduceSum", [`${p}.weighted`, "const.axis1"], `${p}.pooled`, [intAttr("keepdims", 0)]));
    let h = `${p}.pooled`;
    if (m.hidden > 0) {
      initializer.push(floatTensor(names.hiddenWeight, [m.dim, m.hidden], m.hiddenWeight!));
      initializer.push(floatTensor(names.hiddenBias, [m.hidden], m.hiddenBias!));
      nodes.push(node("MatMul", [h, names.hiddenWeight], `${p}.hidden.matmul`));
      nodes.push(node("Add", [`${p}.hidden.matmul`, names.hiddenBias], `${p}.hidden.pre`));
      nodes.push(node("Relu", [`${p}.hidden.pre`], `${p}.hidden`));
      h = `${p}.hidden`;
    }
    initializer.push(floatTensor(names.outWeight, [m.hidden > 0 ? m.hidden : m.dim, classes], m.outWeight));
    initializer.push(floatTensor(names.outBias, [classes], m.outBias));
    const logits = single ? outputName : `${p}.logits`;
    nodes.push(node("MatMul", [h, names.outWeight], `${p}.out.matmul`));
    nodes.push(node("Add", [`${p}.out.matmul`, names.outBias], logits));
    if (!single) {
      nodes.push(node("Softmax", [logits], `${p}.probs`, [intAttr("axis", -1)]));
      memberOutputs.push(`${p}.probs`);
    }
  });

  if (!single) {
    // Mean of the members' probabilities, returned as log-probabilities so that softmax of the output
    // gives that mean back and the output can be treated like logits downstream.
    nodes.push(node("Mean", memberOutputs, "ensemble.probs"));
    nodes.push(node("Log", ["ensemble.probs"], outputName));
  }

  const model: Onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: OPSET }],
    producerName: "apprentice",
    producerVersion: "1",
    graph: {
      name: "apprentice_embedding_bag",
      node: nodes,
      initializer,
      input: [
        valueInfo(inputNames.ids, ONNX_INT32, ["N", "L"]),
        valueInfo(inputNames.weights, ONNX_FLOAT, ["N", "L"]),
      ],
      output: [valueInfo(outputName, ONNX_FLOAT, ["N", classes])],
    },
    metadataProps: [
      { key: "apprentice.members", value: String(members.length) },
      { key: "apprentice.embedding_dtype", value: opts.embeddingDtype },
    ],
  };
  return onnx.ModelProto.encode(model).finish();
}
