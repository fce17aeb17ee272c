import { Reader, WIRE_BYTES, WIRE_VARINT } from "./protobuf.ts";

/**
 * The structure of an ONNX model without running it: its nodes (operator and domain), the tensors it
 * carries (initializers and Constant nodes' values: declared shape, values actually stored) and anything
 * a budget cannot see through (subgraphs, functions, sparse or external data). What the gateway checks
 * an upload against before onnxruntime gets to allocate anything (gateway/registry/graph-budget.ts).
 */
export interface GraphTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Product of dims: what a runtime would allocate. */
  declared: number;
  /** Values present in the file (raw_data length / element size, or typed entries). */
  stored: number;
  external: boolean;
}

export interface GraphNode {
  opType: string;
  domain: string;
  /** True when an attribute holds a graph (If, Loop, Scan bodies). */
  hasSubgraph: boolean;
}

export interface GraphSummary {
  nodes: GraphNode[];
  tensors: GraphTensor[];
  /** Model-local functions, sparse initializers: structures the budget does not account for. */
  unsupported: string[];
}

// Field numbers from onnx.proto.
const MODEL_GRAPH = 7;
const MODEL_FUNCTIONS = 25;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_SPARSE_INITIALIZER = 15;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const NODE_DOMAIN = 7;
const ATTRIBUTE_TENSOR = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_TENSORS = 10;
const ATTRIBUTE_GRAPHS = 11;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;

/** Bytes per element of each TensorProto.DataType (strings count one per entry). */
const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  1: 4,
  2: 1,
  3: 1,
  4: 2,
  5: 2,
  6: 4,
  7: 8,
  9: 1,
  10: 2,
  11: 8,
  12: 4,
  13: 8,
  14: 8,
  15: 16,
  16: 2,
};

const utf8 = (r: Reader, [start, end]: [number, number]) =>
  new TextDecoder().decode(r.buf.subarray(start, end));

/**
 * Entries of a repeated scalar field, one key each or packed, without decoding them: a packed payload of
 * fixed-width values (`width` bytes) by its length, of varints by their last bytes.
 */
function countEntries(r: Reader, wire: number, width: number): number {
  if (wire !== WIRE_BYTES) {
    r.skip(wire);
    return 1;
  }
  const [start, end] = r.bytes();
  if (width > 0) return (end - start) / width;
  let varints = 0;
  for (let i = start; i < end; i++) if (r.buf[i]! < 0x80) varints++;
  return varints;
}

// Typed data fields: float_data 4 (fixed32), int32_data 5, string_data 6 (one per entry), int64_data 7,
// double_data 10 (fixed64), uint64_data 11.
const TYPED_FIELDS: Readonly<Record<number, number>> = { 4: 4, 5: 0, 6: -1, 7: 0, 10: 8, 11: 0 };

function readTensor(r: Reader): GraphTensor {
  const tensor: GraphTensor = { name: "", dims: [], dataType: 0, declared: 1, stored: 0, external: false };
  let rawBytes = -1;
  r.fields((field, wire) => {
    if (field === TENSOR_NAME && wire === WIRE_BYTES) tensor.name = utf8(r, r.bytes());
    else if (field === TENSOR_DIMS && wire === WIRE_BYTES) {
      const [start, end] = r.bytes();
      const packed = new Reader(r.buf, start, end);
      while (packed.pos < end) tensor.dims.push(packed.varint());
    } else if (field === TENSOR_DIMS && wire === WIRE_VARINT) tensor.dims.push(r.varint());
    else if (field === TENSOR_DATA_TYPE && wire === WIRE_VARINT) tensor.dataType = r.varint();
    else if (field === TENSOR_RAW_DATA && wire === WIRE_BYTES) {
      const [start, end] = r.bytes();
      rawBytes = end - start;
    } else if (field === TENSOR_DATA_LOCATION && wire === WIRE_VARINT) tensor.external ||= r.varint() === 1;
    else if (field === TENSOR_EXTERNAL_DATA) {
      tensor.external = true;
      return false;
    } else if (field in TYPED_FIELDS) {
      const width = TYPED_FIELDS[field]!;
      if (width === -1) {
        r.skip(wire);
        tensor.stored++;
      } else tensor.stored += countEntries(r, wire, width);
    } else return false;
    return true;
  });
  tensor.declared = tensor.dims.reduce((a, b) => a * b, 1);
  if (rawBytes >= 0) tensor.stored = rawBytes / (ELEMENT_BYTES[tensor.dataType] ?? 1);
  return tensor;
}

function readNode(r: Reader, summary: GraphSummary): void {
  const node: GraphNode = { opType: "", domain: "", hasSubgraph: false };
  r.fields((field, wire) => {
    if (wire !== WIRE_BYTES) return false;
    if (field === NODE_OP_TYPE) node.opType = utf8(r, r.bytes());
    else if (field === NODE_DOMAIN) node.domain = utf8(r, r.bytes());
    else if (field === NODE_ATTRIBUTE) {
      const [start, end] = r.bytes();
      const attribute = new Reader(r.buf, start, end);
      attribute.fields((aField, aWire) => {
        if (aWire !== WIRE_BYTES) return false;
        if (aField === ATTRIBUTE_GRAPH || aField === ATTRIBUTE_GRAPHS) node.hasSubgraph = true;
        else if (aField !== ATTRIBUTE_TENSOR && aField !== ATTRIBUTE_TENSORS) return false;
        else {
          const [ts, te] = attribute.bytes();
          summary.tensors.push(readTensor(new Reader(r.buf, ts, te)));
          return true;
        }
        return false;
      });
    } else return false;
    return true;
  });
  summary.nodes.push(node);
}

/** The model's structure; throws on bytes that are not a protobuf ModelProto with a graph. */
export function readGraphSummary(bytes: Uint8Array | ArrayBuffer): GraphSummary {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const summary: GraphSummary = { nodes: [], tensors: [], unsupported: [] };
  const model = new Reader(buf);
  let sawGraph = false;
  model.fields((field, wire) => {
    if (field === MODEL_FUNCTIONS) summary.unsupported.push("model-local functions");
    if (field !== MODEL_GRAPH || wire !== WIRE_BYTES) return false;
    sawGraph = true;
    const [start, end] = model.bytes();
    const graph = new Reader(buf, start, end);
    graph.fields((gField, gWire) => {
      if (gWire !== WIRE_BYTES) return false;
      if (gField === GRAPH_NODE) {
        const [ns, ne] = graph.bytes();
        readNode(new Reader(buf, ns, ne), summary);
      } else if (gField === GRAPH_INITIALIZER) {
        const [ts, te] = graph.bytes();
        summary.tensors.push(readTensor(new Reader(buf, ts, te)));
      } else if (gField === GRAPH_SPARSE_INITIALIZER) {
        summary.unsupported.push("sparse initializers");
        return false;
      } else return false;
      return true;
    });
    return true;
  });
  if (!sawGraph) throw new Error("onnx: no graph in model");
  return summary;
}
