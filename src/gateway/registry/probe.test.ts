import { expect, it, describe as suite } from "vitest";
import {
  batchCollapsed,
  describe as describePackage,
  poisonedRows,
  type Shape,
  student,
} from "../../../test/workerd/registry-helpers.ts";
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

async function probe(bytes: Uint8Array, edit: (manifest: ModelManifest) => void = () => {}) {
  const { manifest } = await describePackage("probe-test", "1.0.0", bytes, SHAPE);
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

  it("refuses a manifest with more labels than the graph has classes", async () => {
    expect(
      await probe(graph(), (m) => {
        m.labels.push("third");
      }),
    ).toBe('output "logits" has shape [1, 2], expected [1, 3] (for 1 probe text)');
  });
});
