import onnxProto from "onnx-proto";
import { describe, expect, it } from "vitest";
import {
  allocating,
  edited,
  hollowInitializer,
  manyNodes,
  poisonedRows,
  student,
} from "../../../test/workerd/registry-helpers.ts";
import { exportOnnx } from "../../distill/onnx/export.ts";
import { ALLOWED_OPS, GRAPH_BUDGET, graphOverBudget, nonFiniteWeights } from "./graph-budget.ts";

/**
 * The graph budget on real exported graphs, edited the way an attacker or a foreign exporter would (the
 * helpers of the workerd upload tests, which run these checks through POST /admin/models): each refusal
 * names its fault, and the budget's figures are the ones docs/admin-api.md states.
 */
const { onnx } = onnxProto;
const SHAPE = { buckets: 64, dim: 4 };
const good = () => exportOnnx(student(1, SHAPE), { embeddingDtype: "float32" });
const buffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

describe("graphOverBudget", () => {
  it("the budget: 256 nodes and 8,000,000 parameters; our exporter's graph fits", () => {
    expect(GRAPH_BUDGET).toEqual({ nodes: 256, parameters: 8_000_000 });
    expect(graphOverBudget(buffer(good()))).toBeNull();
    expect(nonFiniteWeights(buffer(good()))).toBeNull();
  });

  it("refuses bytes that are not ONNX, saying so", () => {
    expect(graphOverBudget(buffer(new TextEncoder().encode("not a model at all")))).toMatch(
      /^it cannot load: not an ONNX model \(.+\)$/,
    );
  });

  it("refuses more nodes than the budget, counting them", () => {
    const nodes = (extra: number) => graphOverBudget(buffer(manyNodes(good(), extra)));
    // How many nodes the exporter wrote, read from the refusal of a graph well over.
    const over = /^it has (\d+) nodes, over the budget of 256$/.exec(nodes(300) ?? "");
    const own = Number(over?.[1]) - 300;
    expect(own).toBeGreaterThan(0);
    expect(nodes(256 - own)).toBeNull();
    expect(nodes(257 - own)).toBe("it has 257 nodes, over the budget of 256");
  });

  it("refuses an operator that allocates from data, listing those allowed", () => {
    const refusal = graphOverBudget(buffer(allocating(good(), 2 ** 31)));
    expect(refusal).toMatch(
      /^it uses the operator ConstantOfShape, which can allocate beyond the budget \(allowed: Gather, MatMul, /,
    );
    expect(refusal).toContain(`(allowed: ${[...ALLOWED_OPS].join(", ")})`);
    expect(ALLOWED_OPS.has("ConstantOfShape")).toBe(false);
    expect(ALLOWED_OPS.has("Gather")).toBe(true);
  });

  it("refuses an operator of another domain, naming the domain", () => {
    const foreign = edited(good(), (model) => {
      const first = model.graph!.node![0]!;
      first.domain = "com.example";
    });
    expect(graphOverBudget(buffer(foreign))).toMatch(
      /^it uses the operator com\.example\.\w+, which can allocate/,
    );
    const onnxDomain = edited(good(), (model) => {
      for (const n of model.graph!.node!) n.domain = "ai.onnx";
    });
    expect(graphOverBudget(buffer(onnxDomain))).toBeNull();
  });

  it("refuses what it cannot see through: model-local functions and sparse initializers, named together", () => {
    const withFunction = (model: onnxProto.onnx.ModelProto) => {
      model.functions = [onnx.FunctionProto.create({ name: "f", domain: "com.example" })];
    };
    const withSparse = (model: onnxProto.onnx.ModelProto) => {
      model.graph!.sparseInitializer = [onnx.SparseTensorProto.create({ dims: [4] })];
    };
    expect(graphOverBudget(buffer(edited(good(), withFunction)))).toBe("it uses model-local functions");
    expect(graphOverBudget(buffer(edited(good(), withSparse)))).toBe("it uses sparse initializers");
    const both = edited(good(), (model) => {
      withFunction(model);
      withSparse(model);
    });
    expect(graphOverBudget(buffer(both))).toBe("it uses sparse initializers and model-local functions");
  });

  it("refuses an allowed operator that carries a subgraph, naming it", () => {
    const looping = edited(good(), (model) => {
      const first = model.graph!.node![0]!;
      first.attribute = [
        ...(first.attribute ?? []),
        onnx.AttributeProto.create({
          name: "body",
          type: onnx.AttributeProto.AttributeType.GRAPH,
          g: onnx.GraphProto.create({ name: "body" }),
        }),
      ];
    });
    const opType = onnx.ModelProto.decode(good()).graph!.node![0]!.opType!;
    expect(ALLOWED_OPS.has(opType)).toBe(true);
    expect(graphOverBudget(buffer(looping))).toMatch(
      new RegExp(`^it uses the operator ${opType}, which can allocate beyond the budget`),
    );
  });

  it("refuses a tensor whose data lives outside the file", () => {
    const external = edited(good(), (model) => {
      model.graph!.initializer!.push(
        onnx.TensorProto.create({ name: "outside", dims: [4], dataType: 1, dataLocation: 1 }),
      );
    });
    expect(graphOverBudget(buffer(external))).toBe('the tensor "outside" keeps its data outside the file');
  });

  it("names a node's unnamed constant tensor as a constant", () => {
    const hollowConstant = edited(good(), (model) => {
      model.graph!.node!.push(
        onnx.NodeProto.create({
          opType: "Constant",
          output: ["unused"],
          attribute: [
            onnx.AttributeProto.create({
              name: "value",
              type: onnx.AttributeProto.AttributeType.TENSOR,
              t: onnx.TensorProto.create({ dims: [10, 100], dataType: 1, rawData: new Uint8Array(4) }),
            }),
          ],
        }),
      );
    });
    expect(graphOverBudget(buffer(hollowConstant))).toBe(
      "the tensor a constant declares 1000 values [10, 100] but holds 1",
    );
  });

  it("refuses a tensor that declares values it does not hold", () => {
    expect(graphOverBudget(buffer(hollowInitializer(good(), 1e9)))).toBe(
      'the tensor "hollow" declares 1000000000 values [1000000000] but holds 1',
    );
  });

  it("refuses more parameters than the budget, from the first value over", () => {
    const withTensor = (values: number) =>
      edited(good(), (model) => {
        model.graph!.initializer!.push({
          name: "pad",
          dims: [values],
          dataType: 1,
          rawData: new Uint8Array(values * 4),
        });
      });
    const over = /^it holds (\d+) parameters, over the budget of 8000000$/.exec(
      graphOverBudget(buffer(withTensor(8_000_000))) ?? "",
    );
    const own = Number(over?.[1]) - 8_000_000;
    expect(own).toBeGreaterThan(0);
    expect(graphOverBudget(buffer(withTensor(8_000_000 - own)))).toBeNull();
    expect(graphOverBudget(buffer(withTensor(8_000_001 - own)))).toBe(
      "it holds 8000001 parameters, over the budget of 8000000",
    );
  });
});

describe("nonFiniteWeights", () => {
  it("finds a non-finite value in the first row too", () => {
    expect(nonFiniteWeights(buffer(poisonedRows(2, SHAPE, [0], Number.NaN)))).toMatch(
      /^the initializer "[^"]+" holds NaN \(row 0 of \[64, 4\]\)$/,
    );
  });

  it.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
  ])("names the initializer, the value and the row holding %s", (name, value) => {
    const message = nonFiniteWeights(buffer(poisonedRows(2, SHAPE, [37], value)));
    expect(message).toMatch(
      new RegExp(`^the initializer "[^"]+" holds ${name} \\(row 37 of \\[64, 4\\]\\)$`),
    );
  });
});
