import { type GraphSummary, readGraphSummary } from "../../core/onnx-graph.ts";
import { readFloatInitializers } from "../../core/onnx-weights.ts";

/**
 * What an uploaded graph may ask of the serving isolate, checked on its bytes before onnxruntime sees
 * it: a few hundred bytes of ONNX can declare a tensor of billions of values (ConstantOfShape, Expand,
 * Tile, an initializer whose dims promise data it does not hold), and the WASM heap never shrinks.
 * Students are small by design (the bundled CLINC150 student has 1.2 M parameters in 10 nodes).
 */
export const GRAPH_BUDGET = {
  /** Nodes in the graph: the exporter writes about a dozen per ensemble member. */
  nodes: 256,
  /** Values in all initializers and constants together (32 MB as float32). */
  parameters: 8_000_000,
} as const;

/**
 * Operators whose outputs are no larger than their inputs broadcast together: what an embedding-bag
 * classifier is made of. Anything that makes tensors of a size read from data (ConstantOfShape, Expand,
 * Tile, Range, Resize, Pad, OneHot), loops and branches, and random generators are refused.
 */
export const ALLOWED_OPS: ReadonlySet<string> = new Set([
  ...["Gather", "MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Neg", "Abs", "Max", "Min", "Mean", "Sum"],
  ...["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Erf", "Gelu", "Exp", "Log", "Sqrt", "Pow", "Clip"],
  ...["Softmax", "LogSoftmax", "ReduceSum", "ReduceMean", "ReduceMax", "ReduceLogSumExp"],
  ...["Cast", "Identity", "Unsqueeze", "Squeeze", "Reshape", "Flatten", "Transpose", "Shape", "Constant"],
  ...["LayerNormalization", "Dropout"],
]);

/** Why the graph cannot be served within the budget, or null when it fits. */
export function graphOverBudget(bytes: ArrayBuffer): string | null {
  let summary: GraphSummary;
  try {
    summary = readGraphSummary(bytes);
  } catch (error) {
    return `it cannot load: not an ONNX model (${error instanceof Error ? error.message : String(error)})`;
  }
  if (summary.unsupported.length > 0) return `it uses ${summary.unsupported.join(" and ")}`;
  if (summary.nodes.length > GRAPH_BUDGET.nodes)
    return `it has ${summary.nodes.length} nodes, over the budget of ${GRAPH_BUDGET.nodes}`;
  const refused = summary.nodes.find(
    (n) => n.hasSubgraph || (n.domain !== "" && n.domain !== "ai.onnx") || !ALLOWED_OPS.has(n.opType),
  );
  if (refused)
    return `it uses the operator ${refused.domain ? `${refused.domain}.` : ""}${refused.opType}, which can allocate beyond the budget (allowed: ${[...ALLOWED_OPS].join(", ")})`;
  let parameters = 0;
  for (const t of summary.tensors) {
    const name = t.name ? `"${t.name}"` : "a constant";
    if (t.external) return `the tensor ${name} keeps its data outside the file`;
    if (t.stored !== t.declared)
      return `the tensor ${name} declares ${t.declared} values [${t.dims.join(", ")}] but holds ${t.stored}`;
    parameters += t.declared;
  }
  if (parameters > GRAPH_BUDGET.parameters)
    return `it holds ${parameters} parameters, over the budget of ${GRAPH_BUDGET.parameters}`;
  return null;
}

/**
 * The first float initializer holding NaN or ±Infinity, named with the row (first axis) it is in: a
 * non-finite embedding row poisons every text that hashes to it, which a probe text may never hit.
 */
export function nonFiniteWeights(bytes: ArrayBuffer): string | null {
  for (const [name, tensor] of readFloatInitializers(bytes)) {
    const at = tensor.data.findIndex((v) => !Number.isFinite(v));
    if (at < 0) continue;
    const rowSize = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
    return `the initializer "${name}" holds ${tensor.data[at]} (row ${Math.floor(at / rowSize)} of [${tensor.dims.join(", ")}])`;
  }
  return null;
}
