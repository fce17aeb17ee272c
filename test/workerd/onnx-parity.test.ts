import { describe, expect, it } from "vitest";
import { readEnsembleWeights } from "../../src/core/onnx-weights.ts";
import { exportOnnx } from "../../src/distill/onnx/export.ts";
import { createSession, runLogits } from "../../src/gateway/runtime/onnx-session.ts";
// 2 members, hidden 4, float16 embedding; written by test/fixtures/make-onnx-fixtures.ts.
import tinyEnsemble from "../fixtures/tiny-ensemble.onnx";
import { asStored, randomBags, randomEnsemble, seededRandom } from "../helpers/ensemble.ts";
import { assertParity } from "../helpers/parity.ts";
import { runInWorkerd } from "./run-onnx.ts";

/**
 * onnxruntime-web inside workerd against the TypeScript forward pass. The graphs are written here, in
 * workerd, by the same exporter the toolkit uses. A shipped package is checked like the imported
 * fixture below: import its .onnx (Data rule → ArrayBuffer), featurise some texts and call
 * `assertParity(runInWorkerd(manifest.onnx, classes), new Uint8Array(bytes), bags)`.
 */
const IO = { inputs: { ids: "ids", weights: "weights" }, output: "logits" };

const CASES = [0, 8].flatMap((hidden) =>
  [1, 3].flatMap((members) =>
    (["float32", "float16", "int8"] as const).map((dtype) => ({ hidden, members, dtype })),
  ),
);

describe("onnxruntime-web in workerd matches the TypeScript forward pass", () => {
  it.each(CASES)("hidden=$hidden members=$members $dtype", async ({ hidden, members, dtype }) => {
    const rand = seededRandom(2000 + hidden * 10 + members + ["float32", "float16", "int8"].indexOf(dtype));
    const shape = { buckets: 50, dim: 6, hidden, classes: 5 };
    const ensemble = randomEnsemble(rand, shape, members);
    const bytes = exportOnnx(ensemble, { embeddingDtype: dtype });
    const stored = asStored(ensemble, dtype);
    // The weights read back in workerd are the ones the graph holds…
    expect(readEnsembleWeights(bytes)).toEqual(stored);
    // …and the graph's answers match the TypeScript forward pass over them.
    await assertParity(runInWorkerd(IO, shape.classes), bytes, randomBags(rand, 24, shape.buckets, 12));
  });

  it("runs a model imported as a .onnx file (Data rule), like a shipped package", async () => {
    expect(tinyEnsemble).toBeInstanceOf(ArrayBuffer);
    const bytes = new Uint8Array(tinyEnsemble);
    const members = readEnsembleWeights(bytes);
    expect(members.map((m) => [m.buckets, m.dim, m.hidden, m.classes])).toEqual([
      [64, 8, 4, 4],
      [64, 8, 4, 4],
    ]);
    await assertParity(runInWorkerd(IO, 4), bytes, randomBags(seededRandom(5), 32, 64, 20));
  });

  it("loads a session from an ArrayBuffer and keeps the bytes usable", async () => {
    const rand = seededRandom(9);
    const ensemble = randomEnsemble(rand, { buckets: 30, dim: 8, hidden: 4, classes: 3 }, 1);
    const copy = exportOnnx(ensemble, { embeddingDtype: "float32" }).slice();
    const buffer = copy.buffer;
    const session = await createSession(buffer);
    expect(session.inputNames).toEqual(["ids", "weights"]);
    expect(buffer.byteLength).toBe(copy.length); // not detached: readEnsembleWeights can still use it
    expect(readEnsembleWeights(buffer)).toHaveLength(1);
    const rows = await runLogits(session, IO, [Int32Array.from([1, 2, 2]), new Int32Array(0)], 3);
    expect(rows.map((r) => r.length)).toEqual([3, 3]);
    expect(await runLogits(session, IO, [], 3)).toEqual([]);
  });
});
