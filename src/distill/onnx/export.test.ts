import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { asStored, randomBags, randomEnsemble, seededRandom } from "../../../test/helpers/ensemble.ts";
import { assertParity, type RunOnnx } from "../../../test/helpers/parity.ts";
import { padBags, splitRows } from "../../core/batch.ts";
import { ONNX_FLOAT16, readEnsembleWeights } from "../../core/onnx-weights.ts";
import { exportOnnx, OPSET } from "./export.ts";

const { onnx } = onnxProto;

/** onnxruntime-node over the same padded inputs the Worker builds. */
function runWithNode(io: { ids: string; weights: string; output: string }, classes: number): RunOnnx {
  return async (bytes, bags) => {
    const session = await ort.InferenceSession.create(bytes);
    try {
      const b = padBags(bags);
      const out = await session.run({
        [io.ids]: new ort.Tensor("int32", b.ids, [b.rows, b.length]),
        [io.weights]: new ort.Tensor("float32", b.weights, [b.rows, b.length]),
      });
      const t = out[io.output]!;
      expect(t.dims).toEqual([bags.length, classes]);
      return splitRows(t.data as Float32Array, bags.length, classes);
    } finally {
      await session.release();
    }
  };
}

const CASES = [0, 8].flatMap((hidden) =>
  [1, 3].flatMap((members) =>
    (["float32", "float16", "int8"] as const).map((dtype) => ({ hidden, members, dtype })),
  ),
);

describe("exportOnnx → onnxruntime-node matches the TypeScript forward pass", () => {
  it.each(CASES)("hidden=$hidden members=$members $dtype", async ({ hidden, members, dtype }) => {
    const rand = seededRandom(1000 + hidden * 10 + members + ["float32", "float16", "int8"].indexOf(dtype));
    const shape = { buckets: 50, dim: 6, hidden, classes: 5 };
    const ensemble = randomEnsemble(rand, shape, members);
    const io = { ids: "ids", weights: "weights", output: "logits" };
    const bytes = exportOnnx(ensemble, { embeddingDtype: dtype });
    const bags = randomBags(rand, 24, shape.buckets, 12);

    const stored = asStored(ensemble, dtype);
    const worst = await assertParity(runWithNode(io, shape.classes), bytes, bags, stored);
    expect(worst).toBeLessThanOrEqual(1e-5);

    // The reader gives back exactly the weights the graph computes with.
    expect(readEnsembleWeights(bytes)).toEqual(stored);
  });

  it("uses the input and output names it is given", async () => {
    const rand = seededRandom(7);
    const ensemble = randomEnsemble(rand, { buckets: 20, dim: 4, hidden: 0, classes: 3 }, 1);
    const io = { ids: "input_ids", weights: "input_weights", output: "scores" };
    const bytes = exportOnnx(ensemble, {
      embeddingDtype: "float32",
      inputNames: { ids: io.ids, weights: io.weights },
      outputName: io.output,
    });
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual([io.ids, io.weights]);
    expect(session.outputNames).toEqual([io.output]);
    await session.release();
    await assertParity(runWithNode(io, 3), bytes, randomBags(rand, 5, 20, 6));
  });
});

describe("exported graph layout", () => {
  it("names initializers predictably and stores only the embedding as float16", () => {
    const rand = seededRandom(3);
    const ensemble = randomEnsemble(rand, { buckets: 10, dim: 4, hidden: 3, classes: 2 }, 2);
    const model = onnx.ModelProto.decode(exportOnnx(ensemble, { embeddingDtype: "float16" }));
    expect(Number(model.opsetImport[0]?.version)).toBe(OPSET);
    const graph = model.graph!;
    const inits = new Map((graph.initializer ?? []).map((t) => [t.name, t]));
    for (const i of [0, 1]) {
      expect(inits.get(`m${i}.embedding`)?.dataType).toBe(ONNX_FLOAT16);
      expect(inits.get(`m${i}.embedding`)?.dims?.map(Number)).toEqual([10, 4]);
      for (const name of ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]) {
        expect(inits.get(`m${i}.${name}`)?.dataType).toBe(onnx.TensorProto.DataType.FLOAT);
      }
    }
    const ops = (graph.node ?? []).map((n) => n.opType);
    expect(ops.filter((op) => op === "Cast")).toHaveLength(2);
    expect(ops.slice(-2)).toEqual(["Mean", "Log"]);
  });

  it("rejects inconsistent members", () => {
    const rand = seededRandom(4);
    const a = randomEnsemble(rand, { buckets: 10, dim: 4, hidden: 0, classes: 2 }, 1)[0]!;
    const b = randomEnsemble(rand, { buckets: 10, dim: 4, hidden: 0, classes: 3 }, 1)[0]!;
    expect(() => exportOnnx([a, b], { embeddingDtype: "float32" })).toThrow(/classes/);
    expect(() => exportOnnx([{ ...a, outBias: new Float32Array(5) }], { embeddingDtype: "float32" })).toThrow(
      /outBias/,
    );
    expect(() => exportOnnx([], { embeddingDtype: "float32" })).toThrow(/no members/);
  });
});
