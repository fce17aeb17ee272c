import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import { exportOnnx } from "../distill/onnx/export.ts";
import { readGraphSummary } from "./onnx-graph.ts";
import { ONNX_FLOAT, ONNX_INT64 } from "./onnx-weights.ts";

const { onnx } = onnxProto;

const member = {
  buckets: 3,
  dim: 2,
  hidden: 0,
  classes: 2,
  embedding: Float32Array.from([1, 2, 3, 4, 5, 6]),
  hiddenWeight: null,
  hiddenBias: null,
  outWeight: Float32Array.from([1, 0, 0, 1]),
  outBias: Float32Array.from([0, 0]),
};

describe("readGraphSummary", () => {
  it("lists an exported graph's nodes and tensors, each holding what its dims declare", () => {
    const summary = readGraphSummary(exportOnnx([member], { embeddingDtype: "int8" }));
    expect(summary.nodes.map((n) => n.opType)).toEqual([
      "Unsqueeze",
      "Gather",
      "Cast",
      "Gather",
      "Mul",
      "Mul",
      "ReduceSum",
      "MatMul",
      "Add",
    ]);
    expect(summary.unsupported).toEqual([]);
    const embedding = summary.tensors.find((t) => t.name === "m0.embedding")!;
    expect(embedding).toMatchObject({ dims: [3, 2], declared: 6, stored: 6, external: false });
    for (const t of summary.tensors) expect(t.stored, t.name).toBe(t.declared);
  });

  it("counts typed fields, packed or not, and sees constants, subgraphs and sparse data", () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      graph: {
        name: "g",
        initializer: [
          { name: "floats", dims: [2, 3], dataType: ONNX_FLOAT, floatData: [1, 2, 3] },
          { name: "ints", dims: [4], dataType: ONNX_INT64, int64Data: [1, 300, 70000, 5] },
        ],
        sparseInitializer: [{ dims: [2] }],
        node: [
          {
            opType: "Constant",
            output: ["c"],
            attribute: [
              {
                name: "value",
                t: { name: "c", dims: [1000], dataType: ONNX_FLOAT, rawData: new Uint8Array(8) },
              },
            ],
          },
          {
            opType: "If",
            input: ["cond"],
            output: ["y"],
            attribute: [{ name: "then_branch", g: { name: "t" } }],
          },
        ],
      },
    }).finish();
    const summary = readGraphSummary(bytes);
    expect(summary.tensors.map((t) => [t.name, t.declared, t.stored])).toEqual([
      ["c", 1000, 2],
      ["floats", 6, 3],
      ["ints", 4, 4],
    ]);
    expect(summary.nodes.map((n) => [n.opType, n.hasSubgraph])).toEqual([
      ["Constant", false],
      ["If", true],
    ]);
    expect(summary.unsupported).toEqual(["sparse initializers"]);
  });

  it("throws on bytes that hold no graph", () => {
    expect(() => readGraphSummary(new Uint8Array([8, 8]))).toThrow(/no graph/);
  });
});
