import onnxProto, { type onnx as Onnx } from "onnx-proto";
import { sha256Hex } from "../../src/core/digest.ts";
import type { EmbeddingBagWeights } from "../../src/core/model.ts";
import { exportOnnx } from "../../src/distill/onnx/export.ts";
import { BUNDLED_MODELS } from "../../src/gateway/models/bundled.ts";
import { randomEnsemble, seededRandom } from "../helpers/ensemble.ts";

/**
 * Model packages for the registry's upload tests: valid students written by the toolkit's exporter, and
 * adversarial graphs (edited with the same onnx-proto the exporter writes with) that a single probe
 * text used to let go live.
 */
const { onnx } = onnxProto;

export type Manifest = Record<string, unknown> & {
  name: string;
  version: string;
  featurizer: Record<string, unknown> & { buckets: number };
  onnx: Record<string, unknown> & { bytes: number; sha256: string; architecture: Record<string, unknown> };
};

export interface Package {
  manifest: Manifest;
  onnx: Uint8Array;
}

export interface Shape {
  buckets: number;
  dim: number;
  classes?: number;
}

/** The multipart body of an upload. */
export function form(manifest: unknown, graph: ArrayBuffer | Uint8Array | string): FormData {
  const data = new FormData();
  data.set(
    "manifest",
    new Blob([typeof manifest === "string" ? manifest : JSON.stringify(manifest)], {
      type: "application/json",
    }),
    "manifest.json",
  );
  if (typeof graph === "string") data.set("onnx", graph);
  else data.set("onnx", new Blob([graph]), "student.onnx");
  return data;
}

/**
 * The sms-spam manifest, made to describe `bytes` as model `name`@`version` (2 labels); its featuriser
 * has as many buckets as the shape unless `featurizer` says otherwise.
 */
export async function describe(
  name: string,
  version: string,
  bytes: Uint8Array,
  shape: Shape,
  featurizer: { buckets?: number; maxFeatures?: number } = {},
): Promise<Package> {
  const base = structuredClone(BUNDLED_MODELS["sms-spam"]!.manifest) as Manifest;
  const manifest: Manifest = {
    ...base,
    name,
    version,
    featurizer: { ...base.featurizer, buckets: shape.buckets, ...featurizer },
    onnx: {
      ...base.onnx,
      bytes: bytes.length,
      sha256: await sha256Hex(bytes),
      architecture: {
        buckets: shape.buckets,
        dim: shape.dim,
        hidden: 0,
        classes: 2,
        members: 1,
        embeddingDtype: "float32",
      },
    },
  };
  return { manifest, onnx: bytes };
}

/** A random single-member student of 2 classes (seeded: each seed is another graph). */
export function student(seed: number, shape: Shape): EmbeddingBagWeights[] {
  return randomEnsemble(seededRandom(seed), { ...shape, hidden: 0, classes: 2 }, 1);
}

/** A valid package: a random student exported as float32. */
export async function validPackage(name: string, version: string, seed: number, shape: Shape) {
  return describe(name, version, exportOnnx(student(seed, shape), { embeddingDtype: "float32" }), shape);
}

/** A student whose embedding rows `rows` hold `value` (NaN, Infinity), as float32. */
export function poisonedRows(seed: number, shape: Shape, rows: readonly number[], value: number) {
  const members = student(seed, shape);
  for (const row of rows) members[0]!.embedding.fill(value, row * shape.dim, (row + 1) * shape.dim);
  return exportOnnx(members, { embeddingDtype: "float32" });
}

/** Edits an exported graph: `edit` gets the decoded model and changes it in place. */
export function edited(bytes: Uint8Array, edit: (model: Onnx.ModelProto) => void): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  edit(model);
  return onnx.ModelProto.encode(model).finish();
}

const node = (opType: string, input: string[], output: string, attribute: Onnx.IAttributeProto[] = []) =>
  onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute });
const ints = (name: string, values: number[]) =>
  onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
const int = (name: string, value: number) =>
  onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });

/** Renames the graph's output `logits` to `inner` and feeds it through `nodes` that end in `logits`. */
function appendToOutput(model: Onnx.ModelProto, nodes: (inner: string) => Onnx.INodeProto[]): void {
  const graph = graphOf(model);
  const last = graph.node.find((n) => n.output?.includes("logits"))!;
  last.output = last.output!.map((o) => (o === "logits" ? "logits.inner" : o));
  last.name = "logits.inner";
  graph.node.push(...nodes("logits.inner").map((n) => onnx.NodeProto.create(n)));
}

/** The decoded graph, with the repeated fields protobufjs always fills in typed as present. */
const graphOf = (model: Onnx.ModelProto) =>
  model.graph as Onnx.GraphProto & { node: Onnx.NodeProto[]; initializer: Onnx.TensorProto[] };

/** Logits of shape [1, C] whatever the batch: the mean over the batch axis. */
export function batchCollapsed(bytes: Uint8Array): Uint8Array {
  return edited(bytes, (model) =>
    appendToOutput(model, (inner) => [
      node("ReduceMean", [inner], "logits", [ints("axes", [0]), int("keepdims", 1)]),
    ]),
  );
}

/** The exporter's graph with its initializers renamed: it serves, but is not our exporter's shape. */
export function foreignNames(bytes: Uint8Array): Uint8Array {
  return edited(bytes, (model) => {
    const graph = graphOf(model);
    const weights = new Set(graph.initializer.map((t) => t.name).filter((n) => n?.startsWith("m0.")));
    const rename = (name: string) => (weights.has(name) ? `foreign.${name.slice(3)}` : name);
    for (const init of graph.initializer) init.name = rename(init.name);
    for (const n of graph.node) n.input = n.input.map(rename);
  });
}

/**
 * A graph of a few hundred bytes that asks for a tensor of `elements` floats at run time
 * (ConstantOfShape), added to the logits after a ReduceSum: what froze or bloated the isolate.
 */
export function allocating(bytes: Uint8Array, elements: number): Uint8Array {
  return edited(bytes, (model) => {
    const graph = graphOf(model);
    graph.initializer.push(
      onnx.TensorProto.create({ name: "huge.shape", dims: [1], dataType: 7, int64Data: [elements] }),
    );
    appendToOutput(model, (inner) => [
      node("ConstantOfShape", ["huge.shape"], "huge"),
      node("ReduceSum", ["huge"], "huge.sum", [int("keepdims", 1)]),
      node("Add", [inner, "huge.sum"], "logits"),
    ]);
  });
}

/** An initializer whose dims declare `elements` values that are not there. */
export function hollowInitializer(bytes: Uint8Array, elements: number): Uint8Array {
  return edited(bytes, (model) => {
    graphOf(model).initializer.push(
      onnx.TensorProto.create({ name: "hollow", dims: [elements], dataType: 1, rawData: new Uint8Array(4) }),
    );
  });
}

/** `count` extra Identity nodes chained onto the output. */
export function manyNodes(bytes: Uint8Array, count: number): Uint8Array {
  return edited(bytes, (model) =>
    appendToOutput(model, (inner) =>
      Array.from({ length: count }, (_, i) =>
        node("Identity", [i === 0 ? inner : `chain.${i - 1}`], i === count - 1 ? "logits" : `chain.${i}`),
      ),
    ),
  );
}

/**
 * The graph with its output columns permuted (a Gather over the class axis): a valid student that is
 * wrong on purpose, nearly always, for the canary and shadow tests.
 */
export function shuffledOutputs(bytes: Uint8Array, classes: number, seed: number): Uint8Array {
  const rng = seededRandom(seed);
  const order = Array.from({ length: classes }, (_, i) => i);
  for (let i = classes - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return edited(bytes, (model) => {
    graphOf(model).initializer.push(
      onnx.TensorProto.create({
        name: "shuffle.order",
        dataType: onnx.TensorProto.DataType.INT64,
        dims: [classes],
        int64Data: order,
      }),
    );
    appendToOutput(model, (inner) => [node("Gather", [inner, "shuffle.order"], "logits", [int("axis", 1)])]);
  });
}
