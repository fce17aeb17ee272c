import onnxProto from "onnx-proto";
import { expect, it, describe as suite } from "vitest";
import {
  batchCollapsed,
  describe as describePackage,
  edited,
  poisonedRows,
  type Shape,
  student,
} from "../../../test/workerd/registry-helpers.ts";
import { featurize } from "../../core/featurizer.ts";
import { ModelManifest } from "../../core/manifest.ts";
import { exportOnnx } from "../../distill/onnx/export.ts";
import { GraphRefused, PROBE_TEXTS, probeOnnx } from "./probe.ts";

/**
 * The upload probe in Node's onnxruntime-web (the runtime that serves the graph in the Worker): what it
 * accepts, and each refusal in its exact words. test/workerd/registry-uploads.test.ts runs the same probe
 * through POST /admin/models in workerd.
 */
const SHAPE: Shape = { buckets: 64, dim: 4 };
const graph = () => exportOnnx(student(1, SHAPE), { embeddingDtype: "float32" });

async function probe(
  bytes: Uint8Array,
  edit: (manifest: ModelManifest) => void = () => {},
  shape: Shape = SHAPE,
) {
  const { manifest } = await describePackage("probe-test", "1.0.0", bytes, shape);
  const parsed = ModelManifest.parse(manifest);
  edit(parsed);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return probeOnnx(parsed, buffer).then(
    () => null,
    (error: unknown) => {
      expect(error).toBeInstanceOf(GraphRefused);
      return (error as Error).message;
    },
  );
}

const { onnx } = onnxProto;
type NodeSpec = Pick<onnxProto.onnx.INodeProto, "opType" | "input" | "output" | "attribute" | "name">;

/**
 * The exporter's graph with its logits fed through `tail` (nodes from "logits.inner" to "logits"): a
 * graph that passes the budget and loads, and fails only when it runs.
 */
function withTail(
  bytes: Uint8Array,
  tail: NodeSpec[],
  initializers: onnxProto.onnx.ITensorProto[] = [],
  output: { elemType?: number; shapeless?: boolean } = {},
): Uint8Array {
  return edited(bytes, (model) => {
    const graph = model.graph!;
    const last = graph.node!.find((n) => n.output?.includes("logits"))!;
    last.output = last.output!.map((o) => (o === "logits" ? "logits.inner" : o));
    graph.node!.push(...tail.map((n) => onnx.NodeProto.create(n)));
    graph.initializer!.push(...initializers.map((t) => onnx.TensorProto.create(t)));
    const declared = graph.output![0]!.type!.tensorType!;
    if (output.elemType !== undefined) declared.elemType = output.elemType;
    if (output.shapeless) declared.shape = null;
  });
}

suite("probeOnnx", () => {
  it("accepts our exporter's graph as its manifest describes it", async () => {
    expect(await probe(graph())).toBeNull();
    expect(PROBE_TEXTS).toContain("");
  });

  it("refuses a non-finite weight before running anything", async () => {
    expect(await probe(poisonedRows(2, SHAPE, [5], Number.NaN))).toMatch(
      /^the initializer "[^"]+" holds NaN \(row 5 of \[64, 4\]\)$/,
    );
  });

  it("refuses a manifest naming an input or output the graph lacks, listing the graph's", async () => {
    expect(
      await probe(graph(), (m) => {
        m.onnx.inputs.ids = "nope";
      }),
    ).toMatch(/^it has no input "nope" \(inputs: \S+, \S+\)$/);
    expect(
      await probe(graph(), (m) => {
        m.onnx.inputs.weights = "nope";
      }),
    ).toMatch(/^it has no input "nope"/);
    expect(
      await probe(graph(), (m) => {
        m.onnx.output = "nope";
      }),
    ).toMatch(/^it has no output "nope" \(outputs: logits\)$/);
  });

  it("refuses a featuriser with more buckets than the embedding has rows", async () => {
    expect(
      await probe(graph(), (m) => {
        m.featurizer.buckets = 65;
      }),
    ).toBe("the featuriser has 65 buckets, the graph's embedding only 64 rows");
  });

  it("refuses logits of the wrong shape, naming the batch", async () => {
    expect(await probe(batchCollapsed(graph()))).toBe(
      'output "logits" has shape [1, 2], expected [2, 2] (for 2 probe texts)',
    );
  });

  it("refuses a manifest whose architecture is not the graph's, naming the field", async () => {
    expect(
      await probe(graph(), (m) => {
        m.onnx.architecture!.dim = 8;
      }),
    ).toBe("manifest.onnx.architecture.dim is 8, the graph's is 4");
    expect(
      await probe(graph(), (m) => {
        m.onnx.architecture!.members = 2;
      }),
    ).toBe("manifest.onnx.architecture.members is 2, the graph's is 1");
  });

  it.each([
    ["buckets", 128, 64],
    ["hidden", 16, 0],
    ["classes", 3, 2],
  ] as const)("refuses a manifest whose architecture.%s is not the graph's", async (key, stated, actual) => {
    expect(
      await probe(graph(), (m) => {
        m.onnx.architecture![key] = stated;
      }),
    ).toBe(`manifest.onnx.architecture.${key} is ${stated}, the graph's is ${actual}`);
  });

  it("refuses logits that are not float32", async () => {
    const float64 = withTail(
      graph(),
      [{ opType: "Cast", input: ["logits.inner"], output: ["logits"], attribute: [castTo(11)] }],
      [],
      { elemType: 11 },
    );
    expect(await probe(float64)).toBe('output "logits" is not float32');
  });

  it("refuses logits of which one value is not finite, naming the batch", async () => {
    // log([0, 1]) per row: the first class is -Infinity, the second 0.
    const logOfZero = withTail(
      graph(),
      [
        { opType: "Mul", input: ["logits.inner", "zero"], output: ["zeros"] },
        { opType: "Add", input: ["zeros", "mask"], output: ["masked"] },
        { opType: "Log", input: ["masked"], output: ["logits"] },
      ],
      [
        { name: "zero", dims: [], dataType: 1, floatData: [0] },
        { name: "mask", dims: [2], dataType: 1, floatData: [0, 1] },
      ],
    );
    expect(await probe(logOfZero)).toBe('output "logits" is not finite for 1 probe text');
  });

  it("refuses logits of another rank, even when their first two sizes fit", async () => {
    const rank3 = withTail(
      graph(),
      [{ opType: "Unsqueeze", input: ["logits.inner", "last.axis"], output: ["logits"] }],
      [{ name: "last.axis", dims: [1], dataType: 7, int64Data: [2] }],
      { shapeless: true },
    );
    expect(await probe(rank3)).toBe(
      'output "logits" has shape [1, 2, 1], expected [1, 2] (for 1 probe text)',
    );
  });

  it("refuses a graph that loads but fails to run, naming the batch and the runtime's error", async () => {
    const oneRowOnly = withTail(
      graph(),
      [{ opType: "Reshape", input: ["logits.inner", "one.row"], output: ["logits"] }],
      [{ name: "one.row", dims: [2], dataType: 7, int64Data: [1, 2] }],
    );
    expect(await probe(oneRowOnly)).toMatch(/^running it on 2 probe texts failed \(.+\)$/s);
  });

  it("refuses a graph onnxruntime-web cannot load, quoting at most 200 characters of its error", async () => {
    // A Cast to float64 while the graph still declares float32 logits: the runtime's type check refuses it.
    const mistyped = withTail(graph(), [
      {
        opType: "Cast",
        input: ["logits.inner"],
        output: ["logits"],
        attribute: [castTo(11)],
        name: `cast.${"long".repeat(60)}`,
      },
    ]);
    const refusal = (await probe(mistyped)) ?? "";
    expect(refusal).toMatch(/^onnxruntime-web cannot load it \(.+\)$/s);
    const quoted = refusal.slice("onnxruntime-web cannot load it (".length, -1);
    expect(quoted).toHaveLength(201);
    expect(quoted.endsWith("…")).toBe(true);
  });

  it("runs every feature id the featuriser can emit, across runs of 4096, naming the run that fails", async () => {
    const shape: Shape = { buckets: 5000, dim: 4 };
    const wide = () => exportOnnx(student(3, shape), { embeddingDtype: "float32" });
    expect(await probe(wide(), () => {}, shape)).toBeNull();
    // One feature id past the first run that no probe text reaches makes the logits overflow to infinity.
    const { manifest } = await describePackage("probe-test", "1.0.0", wide(), shape);
    const featurizer = ModelManifest.parse(manifest).featurizer;
    const reached = new Set(PROBE_TEXTS.flatMap((text) => [...featurize(text, featurizer)]));
    const spike = Array.from({ length: 1000 }, (_, i) => 4999 - i).find((id) => !reached.has(id))!;
    expect(spike).toBeGreaterThanOrEqual(4096);
    const table = new Array<number>(shape.buckets).fill(0);
    table[spike] = 3e38;
    const overflowing = withTail(
      wide(),
      [
        { opType: "Gather", input: ["spike", "ids"], output: ["spiked"] },
        { opType: "Mul", input: ["spiked", "spiked"], output: ["squared"] },
        { opType: "ReduceMax", input: ["squared"], output: ["peak"], attribute: [keepDims()] },
        { opType: "Add", input: ["logits.inner", "peak"], output: ["logits"] },
      ],
      [{ name: "spike", dims: [shape.buckets], dataType: 1, floatData: table }],
    );
    expect(await probe(overflowing, () => {}, shape)).toBe(
      `output "logits" is not finite for feature ids [4096, 5000) of the featuriser's 5000 buckets`,
    );
  });

  it("refuses a manifest with more labels than the graph has classes", async () => {
    expect(
      await probe(graph(), (m) => {
        m.labels.push("third");
      }),
    ).toBe('output "logits" has shape [1, 2], expected [1, 3] (for 1 probe text)');
  });
});

function castTo(dataType: number): onnxProto.onnx.IAttributeProto {
  return onnx.AttributeProto.create({ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: dataType });
}

function keepDims(): onnxProto.onnx.IAttributeProto {
  return onnx.AttributeProto.create({ name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 1 });
}
