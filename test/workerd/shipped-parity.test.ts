import { describe, expect, it } from "vitest";
import manifestJson from "../../models/clinc150/manifest.json";
import studentOnnx from "../../models/clinc150/student.onnx";
import { featurize } from "../../src/core/featurizer.ts";
import { ModelManifest } from "../../src/core/manifest.ts";
import texts from "../fixtures/clinc150-parity-texts.json";
import { assertParity } from "../helpers/parity.ts";
import { runInWorkerd } from "./run-onnx.ts";

/**
 * The shipped CLINC150 student inside workerd: featurised in workerd, run by onnxruntime-web (WASM),
 * compared with the TypeScript forward pass over the weights read from the same bytes: within 1e-5 on
 * 200 test texts. The Node test does the same with onnxruntime-node, so all three agree.
 */
describe("models/clinc150 parity, onnxruntime-web in workerd vs TypeScript", () => {
  it("student on 200 test texts", async () => {
    const manifest = ModelManifest.parse(manifestJson);
    const bags = texts.map((t) => featurize(t, manifest.featurizer));
    const worst = await assertParity(
      runInWorkerd(manifest.onnx, manifest.labels.length),
      new Uint8Array(studentOnnx),
      bags,
    );
    expect(worst).toBeLessThanOrEqual(1e-5);
  });
});
