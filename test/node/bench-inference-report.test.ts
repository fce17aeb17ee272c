import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sectionMarkers } from "../../bench/common/section.ts";
import {
  INFERENCE_MARKERS,
  type InferenceResults,
  type Runtime,
  type RuntimeTimes,
  ratiosOver,
  renderInferenceSection,
  writeInferenceReport,
} from "../../bench/inference/report.ts";
import { summarise } from "../../bench/inference/stats.ts";

const series = (perCallUs: number, size: number) =>
  summarise({ plan: { batches: 2, calls: 1000, size }, batchMs: [perCallUs, perCallUs] });
const runtime = (single: number, batchPerText: number): RuntimeTimes => ({
  single: series(single, 1),
  batch: series(batchPerText * 32, 32),
});

function results(): InferenceResults {
  const runtimes: Record<Runtime, RuntimeTimes> = {
    "ort-web-workerd": runtime(150, 30),
    "ort-node": runtime(50, 10),
    "ts-node": runtime(25, 20),
    "ts-workerd": runtime(40, 40),
  };
  return {
    command: "npm run bench:inference",
    date: "2026-01-01",
    machine: { nproc: 2, cpu: "cpu", node: "v20", packages: { "onnxruntime-web": "1.30.0" }, commit: null },
    settings: {
      modelDir: "models/m",
      model: "m",
      version: "1.0.0",
      sha256: "a".repeat(64),
      architecture: "int8 embedding 8×2 → 2 classes",
      texts: 10,
      classes: 2,
      plan: { batches: 2, rounds: 1, calls: 200, batchSize: 32, minBatchMs: 50 },
      tolerance: 1e-4,
    },
    workerdClock: { requests: 4, workerdMs: 990, wallMs: 1000 },
    featurize: { node: series(12, 1), workerd: series(8, 1) },
    runtimes,
    ratios: ratiosOver(runtimes),
    agreement: [
      { runtime: "ort-web-workerd", mode: "single", rows: 10, argmaxMismatches: 0, maxAbsDiff: 2e-6 },
      { runtime: "ts-node", mode: "batch", rows: 10, argmaxMismatches: 0, maxAbsDiff: 0 },
    ],
  };
}

describe("bench:inference report", () => {
  it("states every runtime's median per text over onnxruntime-node's", () => {
    const ratios = ratiosOver(results().runtimes);
    const by = (r: Runtime) => ratios.find((q) => q.runtime === r)!;
    expect(by("ort-node")).toEqual({ runtime: "ort-node", single: 1, batch: 1 });
    expect(by("ort-web-workerd").single).toBeCloseTo(3, 10);
    expect(by("ort-web-workerd").batch).toBeCloseTo(3, 10);
    expect(by("ts-node").single).toBeCloseTo(0.5, 10);
    expect(by("ts-workerd").batch).toBeCloseTo(4, 10);
  });

  it("renders a delimited section with the figures, ratios, clock check and agreement", () => {
    const md = renderInferenceSection(results(), { json: "bench/results/inference.json" });
    expect(md.startsWith(INFERENCE_MARKERS.start)).toBe(true);
    expect(md.endsWith(INFERENCE_MARKERS.end)).toBe(true);
    expect(md).toContain("onnxruntime-web in workerd 3.00× single-text, 3.00× batch-32");
    expect(md).toContain(
      "| onnxruntime-node in Node | **50.0** | 50.0 | 1.00× | 320 | **10.0** | 10.0 | 1.00× |",
    );
    expect(md).toContain(
      "over the 4 timing requests it measured 0.99 s inside the Worker, Node's wall clock 1.00 s",
    );
    expect(md).toContain("0 arg-max mismatches, largest |Δ logit| 2.0e-6 (limit < 1e-4)");
    expect(md).toContain("about 158 µs on the student (featurise 8.0 + onnxruntime-web 150)");
    expect(md).toContain("[bench/results/inference.json](bench/results/inference.json)");
  });

  it("writes the JSON and splices its section in, leaving the other sections alone", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bench-inference-"));
    try {
      const other = sectionMarkers("cascade");
      const markdown = join(dir, "BENCHMARKS.md");
      const json = join(dir, "results", "inference.json");
      await writeFile(markdown, `# B\n\n${other.start}\nkeep me\n${other.end}\n`);
      await writeInferenceReport(results(), { markdown, json });
      await writeInferenceReport(results(), { markdown, json }); // replaces, never appends twice
      const text = await readFile(markdown, "utf8");
      expect(text).toContain(`${other.start}\nkeep me\n${other.end}`);
      expect(text.split(INFERENCE_MARKERS.start)).toHaveLength(2);
      expect(text).toContain("[results/inference.json](results/inference.json)");
      expect(JSON.parse(await readFile(json, "utf8"))).toEqual(results());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses to write results that miss a runtime", async () => {
    const bad = results();
    delete (bad.runtimes as Partial<Record<Runtime, RuntimeTimes>>)["ts-workerd"];
    const dir = await mkdtemp(join(tmpdir(), "bench-inference-"));
    try {
      const paths = { markdown: join(dir, "BENCHMARKS.md"), json: join(dir, "inference.json") };
      await expect(writeInferenceReport(bad, paths)).rejects.toThrow(/ts-workerd/);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
