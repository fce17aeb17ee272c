import onnxProto from "onnx-proto";
import { Writer } from "protobufjs";
import { describe, expect, it } from "vitest";
import { toFloat16Bits } from "./float16.ts";
import {
  ONNX_FLOAT,
  ONNX_FLOAT16,
  ONNX_INT64,
  readEnsembleWeights,
  readFloatInitializers,
} from "./onnx-weights.ts";

// Graphs written by other tools store tensors in the typed fields rather than raw_data; the reader
// must accept those too. onnx-proto writes repeated scalars packed.
const { onnx } = onnxProto;

function model(initializer: onnxProto.onnx.ITensorProto[]): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 8, graph: { name: "g", initializer } }).finish();
}

const emb = Float32Array.from([0.5, -1, 2, 0.25, 3, -0.125]); // [3 × 2]
const outW = Float32Array.from([1, 2, 3, 4, 5, 6]); // [2 × 3]
const outB = Float32Array.from([0.1, 0.2, 0.3]);

describe("readEnsembleWeights", () => {
  it("reads float_data and float16 bits in int32_data", () => {
    const bytes = model([
      {
        name: "m0.embedding",
        dims: [3, 2],
        dataType: ONNX_FLOAT16,
        int32Data: Array.from(toFloat16Bits(emb)),
      },
      { name: "m0.out.weight", dims: [2, 3], dataType: ONNX_FLOAT, floatData: Array.from(outW) },
      { name: "m0.out.bias", dims: [3], dataType: ONNX_FLOAT, floatData: Array.from(outB) },
      { name: "const.axis1", dims: [1], dataType: ONNX_INT64, int64Data: [1] },
    ]);
    const [m, ...rest] = readEnsembleWeights(bytes);
    expect(rest).toEqual([]);
    expect(m).toEqual({
      buckets: 3,
      dim: 2,
      hidden: 0,
      classes: 3,
      embedding: emb, // all exactly representable in float16
      hiddenWeight: null,
      hiddenBias: null,
      outWeight: outW,
      outBias: Float32Array.from(outB),
    });
    expect([...readFloatInitializers(bytes).keys()]).not.toContain("const.axis1");
  });

  it("accepts unpacked repeated fields and skips unknown ones", () => {
    // TensorProto by hand: dims one key each (field 1), an unknown field 99, float_data unpacked (field 4).
    const tensor = (name: string, dims: number[], values: number[]): Uint8Array => {
      const w = Writer.create();
      for (const d of dims) w.uint32(8).int64(d);
      w.uint32(16).int32(ONNX_FLOAT);
      w.uint32((99 << 3) | 2).string("ignored");
      for (const v of values) w.uint32((4 << 3) | 5).float(v);
      w.uint32((8 << 3) | 2).string(name);
      return w.finish();
    };
    const graph = Writer.create();
    for (const t of [
      tensor("m0.embedding", [3, 2], Array.from(emb)),
      tensor("m0.out.weight", [2, 3], Array.from(outW)),
      tensor("m0.out.bias", [3], Array.from(outB)),
    ]) {
      graph.uint32((5 << 3) | 2).bytes(t);
    }
    const modelBytes = Writer.create()
      .uint32(8)
      .int64(8)
      .uint32((7 << 3) | 2)
      .bytes(graph.finish())
      .finish();
    const [m] = readEnsembleWeights(new Uint8Array(modelBytes).buffer); // a copy: Node may pool the buffer
    expect(m?.embedding).toEqual(emb);
    expect(m?.outBias).toEqual(Float32Array.from(outB));
  });

  it("explains what is wrong", () => {
    expect(() => readEnsembleWeights(model([]))).toThrow(/m0.embedding/);
    expect(() =>
      readEnsembleWeights(
        model([{ name: "m0.embedding", dims: [3, 2], dataType: ONNX_FLOAT, floatData: [1] }]),
      ),
    ).toThrow(/1 values, dims say 6/);
    expect(() =>
      readEnsembleWeights(
        model([{ name: "m0.embedding", dims: [3, 2], dataType: ONNX_FLOAT, floatData: Array.from(emb) }]),
      ),
    ).toThrow(/missing initializer m0.out.weight/);
    expect(() =>
      readEnsembleWeights(
        model([{ name: "m0.embedding", dims: [3, 2], dataType: ONNX_FLOAT, dataLocation: 1 }]),
      ),
    ).toThrow(/external data/);
    expect(() => readEnsembleWeights(new Uint8Array([0x3a, 0x10, 1, 2]))).toThrow(/truncated/);
    expect(() => readEnsembleWeights(new Uint8Array(0))).toThrow(/no graph/);
  });
});
