import { float16BitsToFloat32 } from "./float16.ts";
import type { EmbeddingBagWeights } from "./model.ts";
import { Reader, WIRE_BYTES, WIRE_VARINT } from "./protobuf.ts";
import { dequantizeRows } from "./quantize.ts";

/**
 * Reads the weights back out of an ONNX graph written by src/distill/onnx/export.ts, so the Worker and
 * the tools can run the TypeScript forward pass (model.ts) and exact explanations from the shipped
 * .onnx alone. A tiny protobuf reader instead of protobufjs: it runs in workerd and Node alike and
 * costs the Worker bundle a few hundred bytes.
 */

/** Initializer names of member `i` (contract between the exporter and this reader). */
export function memberInitializerNames(i: number) {
  return {
    embedding: `m${i}.embedding`,
    /** Per-row scales [buckets, 1], present when the embedding is stored as int8. */
    embeddingScale: `m${i}.embedding.scale`,
    hiddenWeight: `m${i}.hidden.weight`,
    hiddenBias: `m${i}.hidden.bias`,
    outWeight: `m${i}.out.weight`,
    outBias: `m${i}.out.bias`,
  };
}

/** ONNX TensorProto.DataType values we write. */
export const ONNX_FLOAT = 1;
export const ONNX_INT8 = 3;
export const ONNX_INT32 = 6;
export const ONNX_INT64 = 7;
export const ONNX_FLOAT16 = 10;

/** An initializer decoded to float32, with its shape. */
export interface FloatTensor {
  dims: number[];
  data: Float32Array;
}

// Field numbers from onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_FLOAT_DATA = 4;
const TENSOR_INT32_DATA = 5;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const TENSOR_DATA_LOCATION = 14;

/** Little-endian float32s from a byte range (copied: raw_data need not be 4-byte aligned). */
function float32sLE(buf: Uint8Array, start: number, end: number): Float32Array {
  const view = new DataView(buf.buffer, buf.byteOffset + start, end - start);
  const out = new Float32Array((end - start) >>> 2);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

function float16sLE(buf: Uint8Array, start: number, end: number): Float32Array {
  const view = new DataView(buf.buffer, buf.byteOffset + start, end - start);
  const out = new Float32Array((end - start) >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = float16BitsToFloat32(view.getUint16(i * 2, true));
  return out;
}

function readTensor(r: Reader): { name: string; tensor: FloatTensor | null } {
  let name = "";
  const dims: number[] = [];
  let dataType = 0;
  let external = false;
  // Assigned inside the callback below; the cast keeps TypeScript from narrowing it to null.
  let raw = null as [number, number] | null;
  const floats: number[] = [];
  const int32s: number[] = [];
  // Repeated scalars may come packed (wire type 2) or one per key; accept both.
  const repeated = (wire: number, out: number[], read: () => number): void => {
    if (wire !== WIRE_BYTES) {
      out.push(read());
      return;
    }
    const [start, end] = r.bytes();
    r.pos = start; // walk the packed payload, which ends where bytes() left off
    while (r.pos < end) out.push(read());
    if (r.pos !== end) throw new Error("onnx: malformed packed field");
  };
  const fixedFloat = (): number => {
    const v = new DataView(r.buf.buffer, r.buf.byteOffset + r.pos, 4).getFloat32(0, true);
    r.pos += 4;
    return v;
  };
  r.fields((field, wire) => {
    if (field === TENSOR_NAME && wire === WIRE_BYTES) {
      const [s, e] = r.bytes();
      name = new TextDecoder().decode(r.buf.subarray(s, e));
    } else if (field === TENSOR_DIMS) repeated(wire, dims, () => r.varint());
    else if (field === TENSOR_DATA_TYPE && wire === WIRE_VARINT) dataType = r.varint();
    else if (field === TENSOR_RAW_DATA && wire === WIRE_BYTES) raw = r.bytes();
    else if (field === TENSOR_FLOAT_DATA) repeated(wire, floats, fixedFloat);
    else if (field === TENSOR_INT32_DATA) repeated(wire, int32s, () => r.varint());
    else if (field === TENSOR_DATA_LOCATION && wire === WIRE_VARINT) external = r.varint() === 1;
    else return false;
    return true;
  });
  if (external) throw new Error(`onnx: initializer ${name} uses external data, which is not supported`);

  const size = dims.reduce((a, b) => a * b, 1);
  let data: Float32Array;
  if (dataType === ONNX_FLOAT) {
    data = raw ? float32sLE(r.buf, raw[0], raw[1]) : Float32Array.from(floats);
  } else if (dataType === ONNX_FLOAT16) {
    // Without raw_data, ONNX keeps float16 bit patterns in int32_data.
    data = raw ? float16sLE(r.buf, raw[0], raw[1]) : Float32Array.from(int32s, float16BitsToFloat32);
  } else if (dataType === ONNX_INT8) {
    // int8 values are exact in float32; readEnsembleWeights applies the row scales.
    data = raw
      ? Float32Array.from(new Int8Array(r.buf.buffer, r.buf.byteOffset + raw[0], raw[1] - raw[0]))
      : Float32Array.from(int32s);
  } else {
    return { name, tensor: null }; // e.g. the int64 axes constants: not weights
  }
  if (data.length !== size)
    throw new Error(`onnx: initializer ${name} has ${data.length} values, dims say ${size}`);
  return { name, tensor: { dims, data } };
}

/** All float32/float16 initializers of a model, by name, decoded to float32. */
export function readFloatInitializers(bytes: Uint8Array | ArrayBuffer): Map<string, FloatTensor> {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const out = new Map<string, FloatTensor>();
  const model = new Reader(buf);
  let sawGraph = false;
  model.fields((field, wire) => {
    if (field !== MODEL_GRAPH || wire !== WIRE_BYTES) return false;
    sawGraph = true;
    const [start, end] = model.bytes();
    const graph = new Reader(buf, start, end);
    graph.fields((gField, gWire) => {
      if (gField !== GRAPH_INITIALIZER || gWire !== WIRE_BYTES) return false;
      const [ts, te] = graph.bytes();
      const { name, tensor } = readTensor(new Reader(buf, ts, te));
      if (tensor) out.set(name, tensor);
      return true;
    });
    return true;
  });
  if (!sawGraph) throw new Error("onnx: no graph in model");
  return out;
}

function take(inits: Map<string, FloatTensor>, name: string, rank: number): FloatTensor {
  const t = inits.get(name);
  if (!t) throw new Error(`onnx: missing initializer ${name}`);
  if (t.dims.length !== rank) throw new Error(`onnx: ${name} has rank ${t.dims.length}, expected ${rank}`);
  return t;
}

/** The ensemble members (m0, m1, …) of a graph written by our exporter, as float32 weights. */
export function readEnsembleWeights(bytes: Uint8Array | ArrayBuffer): EmbeddingBagWeights[] {
  const inits = readFloatInitializers(bytes);
  const members: EmbeddingBagWeights[] = [];
  for (let i = 0; inits.has(memberInitializerNames(i).embedding); i++) {
    const names = memberInitializerNames(i);
    const embedding = take(inits, names.embedding, 2);
    const [buckets, dim] = embedding.dims as [number, number];
    if (inits.has(names.embeddingScale)) {
      const scale = take(inits, names.embeddingScale, 2);
      if (scale.dims[0] !== buckets) throw new Error(`onnx: member ${i} embedding scales disagree`);
      embedding.data = dequantizeRows(embedding.data, scale.data, dim);
    }
    let hidden = 0;
    let hiddenWeight: Float32Array | null = null;
    let hiddenBias: Float32Array | null = null;
    if (inits.has(names.hiddenWeight)) {
      const w = take(inits, names.hiddenWeight, 2);
      const b = take(inits, names.hiddenBias, 1);
      if (w.dims[0] !== dim || w.dims[1] !== b.dims[0])
        throw new Error(`onnx: member ${i} hidden shapes disagree`);
      hidden = w.dims[1]!;
      hiddenWeight = w.data;
      hiddenBias = b.data;
    }
    const outW = take(inits, names.outWeight, 2);
    const outB = take(inits, names.outBias, 1);
    const classes = outB.dims[0]!;
    if (outW.dims[0] !== (hidden || dim) || outW.dims[1] !== classes) {
      throw new Error(`onnx: member ${i} output shapes disagree`);
    }
    members.push({
      buckets,
      dim,
      hidden,
      classes,
      embedding: embedding.data,
      hiddenWeight,
      hiddenBias,
      outWeight: outW.data,
      outBias: outB.data,
    });
  }
  if (members.length === 0) throw new Error("onnx: no ensemble members (initializer m0.embedding not found)");
  return members;
}
