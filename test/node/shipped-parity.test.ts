import { describe, expect, it } from "vitest";
import { featurize } from "../../src/core/featurizer.ts";
import { loadDataset } from "../../src/distill/data/index.ts";
import { loadPackage } from "../../src/distill/package/files.ts";
import { onnxLogits } from "../../src/distill/package/onnx-node.ts";
import texts from "../fixtures/clinc150-parity-texts.json";
import { assertParity } from "../helpers/parity.ts";

/**
 * The shipped CLINC150 package: onnxruntime-node and the TypeScript forward pass give the same
 * probabilities within 1e-5 on 200 test texts, for the student and for the teacher ensemble.
 * test/workerd/shipped-parity.test.ts checks onnxruntime-web in workerd against the same reference.
 */
describe("models/clinc150 parity, onnxruntime-node vs TypeScript", async () => {
  const pkg = await loadPackage("models/clinc150");

  it("uses 200 texts from the test split", async () => {
    const dataset = await loadDataset({ data: "datasets/clinc150/data_full.json", seed: 42 });
    const test = new Set(dataset.test.map((e) => e.text));
    expect(texts).toHaveLength(200);
    expect(texts.every((t) => test.has(t))).toBe(true);
  });

  it("student", async () => {
    const bags = texts.map((t) => featurize(t, pkg.manifest.featurizer));
    const worst = await assertParity(
      (bytes, b) => onnxLogits(bytes, pkg.manifest.onnx, b),
      pkg.student,
      bags,
    );
    expect(worst).toBeLessThanOrEqual(1e-5);
  });

  it("teacher ensemble", async () => {
    const { manifest, onnx } = pkg.teacher;
    const bags = texts.map((t) => featurize(t, manifest.featurizer));
    const worst = await assertParity((bytes, b) => onnxLogits(bytes, manifest.onnx, b), onnx, bags);
    expect(worst).toBeLessThanOrEqual(1e-5);
  });
});
