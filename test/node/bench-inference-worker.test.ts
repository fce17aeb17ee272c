import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineLogits } from "../../bench/inference/measure.ts";
import { ortNodeEngine } from "../../bench/inference/ort-node.ts";
import { agrees, compareLogits } from "../../bench/inference/stats.ts";
import { type BenchWorker, startBenchWorker } from "../../bench/inference/workerd.ts";
import { featurize } from "../../src/core/featurizer.ts";
import { loadPackage } from "../../src/distill/package/files.ts";
import { freePort } from "../../src/stack.ts";
import texts from "../fixtures/clinc150-parity-texts.json";

/**
 * The bench Worker of `npm run bench:inference` under real workerd (wrangler's startWorker): its engines
 * (the gateway's onnxruntime-web session, the TypeScript forward pass) agree with onnxruntime-node on the
 * 200 parity texts, single and batched; it times what it is asked; bad requests get JSON 4xx answers.
 */
describe("bench:inference Worker in workerd", () => {
  let worker: BenchWorker;
  beforeAll(async () => {
    worker = await startBenchWorker(await freePort());
  }, 120_000);
  afterAll(async () => {
    await worker?.dispose();
  });

  it("every engine matches onnxruntime-node, one text per call and 32 per call", async () => {
    const pkg = await loadPackage("models/clinc150");
    const classes = pkg.manifest.labels.length;
    const bags = texts.map((t) => featurize(t, pkg.manifest.featurizer));
    const ortNode = await ortNodeEngine(pkg.student, pkg.manifest.onnx);
    try {
      const reference = await engineLogits(ortNode.engine, bags, 1, classes);
      expect(
        agrees(
          compareLogits(reference, await engineLogits(ortNode.engine, bags, 32, classes), classes),
          1e-4,
        ),
      ).toBe(true);
      for (const engine of ["ort-web", "ts"] as const)
        for (const size of [1, 32]) {
          const rows = await worker.logits({ texts, engine, size }, classes);
          const agreement = compareLogits(reference, rows, classes);
          expect(agreement.rows).toBe(texts.length);
          expect(agreement.argmaxMismatches, `${engine} × ${size}`).toBe(0);
          expect(agreement.maxAbsDiff, `${engine} × ${size}`).toBeLessThan(1e-4);
        }
    } finally {
      await ortNode.release();
    }
  }, 60_000);

  it("times the featuriser and both engines, calibrating only when asked", async () => {
    const base = { texts: texts.slice(0, 20), batches: 3, calls: 4 };
    for (const [target, size] of [
      ["featurize", 1],
      ["ort-web", 1],
      ["ort-web", 5],
      ["ts", 5],
    ] as const) {
      const fixed = await worker.time({ ...base, target, size, minBatchMs: null });
      expect(fixed.times.plan).toEqual({ batches: 3, calls: 4, size });
      expect(fixed.times.batchMs).toHaveLength(3);
    }
    // A minimum of 0 ms is met at once: calibration keeps the floor.
    const calibrated = await worker.time({ ...base, target: "ts", size: 2, minBatchMs: 0 });
    expect(calibrated.times.plan).toEqual({ batches: 3, calls: 4, size: 2 });
  }, 60_000);

  it("answers bad requests with a JSON 4xx", async () => {
    const post = (path: string, body: string) =>
      fetch(new URL(path, worker.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    const time = { texts: ["a"], target: "featurize", size: 1, batches: 1, calls: 1, minBatchMs: null };
    const cases: [string, string, number, string, RegExp][] = [
      ["/time", "{not json", 400, "invalid_json", /not JSON/],
      ["/time", JSON.stringify({ ...time, batches: 0 }), 400, "invalid_request", /batches/],
      ["/time", JSON.stringify({ ...time, size: 2 }), 400, "invalid_request", /size 1/],
      ["/time", JSON.stringify({ ...time, plan: {} }), 400, "invalid_request", /plan/],
      ["/logits", JSON.stringify({ texts: [], engine: "ts", size: 1 }), 400, "invalid_request", /texts/],
      ["/logits", JSON.stringify({ texts: ["a"], engine: "gpu", size: 1 }), 400, "invalid_request", /engine/],
      ["/nope", "{}", 404, "not_found", /\/nope/],
    ];
    for (const [path, body, status, code, message] of cases) {
      const response = await post(path, body);
      expect(response.status, `${path} ${body}`).toBe(status);
      expect(response.headers.get("content-type")).toContain("application/json");
      const answer = (await response.json()) as { error: { code: string; message: string } };
      expect(answer.error.code).toBe(code);
      expect(answer.error.message).toMatch(message);
    }
    await expect(worker.logits({ texts: ["a"], engine: "ts", size: 0 }, 151)).rejects.toThrow(/400/);
  }, 60_000);
});
