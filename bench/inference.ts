/**
 * `npm run bench:inference`: the shipped CLINC150 student in three runtimes, in one run: onnxruntime-web
 * inside workerd (the gateway's own session code, in a bench-only Worker), onnxruntime-node, and the
 * TypeScript forward pass (in Node and in workerd); single-text and batched calls, median and p90 over
 * timed batches, and featurisation apart. First every runtime's logits are checked against
 * onnxruntime-node on every test text (same arg-max, |Δ| < 1e-4); the bench fails if any disagree.
 * Flags: --batches N (30), --rounds N (6), --calls N (200, the floor of the calls per batch),
 * --batch-size N (32), --min-batch-ms N (50), --markdown FILE (BENCHMARKS.md),
 * --json FILE (bench/results/inference.json).
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { featurize } from "../src/core/featurizer.ts";
import { readEnsembleWeights } from "../src/core/onnx-weights.ts";
import { loadDataset } from "../src/distill/data/index.ts";
import { LoadOptionsSchema } from "../src/distill/data/options.ts";
import { loadPackage, sha256 } from "../src/distill/package/files.ts";
import { freePort } from "../src/stack.ts";
import { progressLog } from "./common/log.ts";
import { provenance } from "./common/machine.ts";
import { cleanupOnSignal } from "./common/scratch.ts";
import {
  type Call,
  type Engine,
  engineCall,
  engineLogits,
  featurizeCall,
  interleave,
  type Runner,
  type SeriesTimes,
  timeSeries,
  tsEngine,
} from "./inference/measure.ts";
import { ortNodeEngine } from "./inference/ort-node.ts";
import type { TimeRequest } from "./inference/protocol.ts";
import {
  BenchPlan,
  type InferenceResults,
  type Mode,
  Runtime,
  type RuntimeTimes,
  ratiosOver,
  us,
  writeInferenceReport,
} from "./inference/report.ts";
import { agrees, clockKeptTime, compareLogits, summarise } from "./inference/stats.ts";
import { type BenchWorker, startBenchWorker } from "./inference/workerd.ts";

const MODEL_DIR = "models/clinc150";
const TOLERANCE = 1e-4;

const args = process.argv.slice(2);
const { values: flags } = parseArgs({
  args,
  options: {
    batches: { type: "string", default: "30" },
    rounds: { type: "string", default: "6" },
    calls: { type: "string", default: "200" },
    "batch-size": { type: "string", default: "32" },
    "min-batch-ms": { type: "string", default: "50" },
    markdown: { type: "string", default: "BENCHMARKS.md" },
    json: { type: "string", default: "bench/results/inference.json" },
  },
});
const parsedPlan = BenchPlan.safeParse({
  batches: Number(flags.batches),
  rounds: Number(flags.rounds),
  calls: Number(flags.calls),
  batchSize: Number(flags["batch-size"]),
  minBatchMs: Number(flags["min-batch-ms"]),
});
if (!parsedPlan.success) throw new Error(`bench:inference: bad flags\n${z.prettifyError(parsedPlan.error)}`);
const plan = parsedPlan.data;

const { log } = progressLog();
const clock = () => performance.now();

const pkg = await loadPackage(MODEL_DIR);
const { manifest } = pkg;
const dataOptions = LoadOptionsSchema.safeParse(manifest.training.data);
if (!dataOptions.success) throw new Error(`${MODEL_DIR}: manifest training.data is not loadable`);
const texts = (await loadDataset(dataOptions.data)).test.map((e) => e.text);
const classes = manifest.labels.length;
const bags = texts.map((t) => featurize(t, manifest.featurizer));
const members = readEnsembleWeights(pkg.student);
if (members.length !== 1 || !members[0]) throw new Error(`${MODEL_DIR}: expected a one-member student`);
const ortNode = await ortNodeEngine(pkg.student, manifest.onnx);
const nodeEngines: Record<"ort-node" | "ts-node", Engine> = {
  "ort-node": ortNode.engine,
  "ts-node": tsEngine(members[0]),
};
const sizes: Record<Mode, number> = { single: 1, batch: plan.batchSize };

/** Every runtime's logits on every text, single and batched, against ORT-node single-text calls. */
async function checkAgreement(worker: BenchWorker): Promise<InferenceResults["agreement"]> {
  const reference = await engineLogits(nodeEngines["ort-node"], bags, 1, classes);
  const agreement: InferenceResults["agreement"] = [];
  for (const mode of ["single", "batch"] as const) {
    const size = sizes[mode];
    const outputs: [Runtime, Float32Array][] = [
      ["ort-web-workerd", await worker.logits({ texts, engine: "ort-web", size }, classes)],
      ["ts-node", await engineLogits(nodeEngines["ts-node"], bags, size, classes)],
      ["ts-workerd", await worker.logits({ texts, engine: "ts", size }, classes)],
    ];
    if (mode === "batch")
      outputs.splice(1, 0, ["ort-node", await engineLogits(nodeEngines["ort-node"], bags, size, classes)]);
    for (const [runtime, logits] of outputs)
      agreement.push({ runtime, mode, ...compareLogits(reference, logits, classes) });
  }
  return agreement;
}

/** The series of the run: the featuriser in both runtimes, and every runtime single and batched. */
function runners(worker: BenchWorker, workerdClock: InferenceResults["workerdClock"]) {
  const local =
    (call: Call, size: number): Runner =>
    (request) =>
      timeSeries(call, size, request, clock);
  const remote =
    (target: TimeRequest["target"], size: number): Runner =>
    async (request) => {
      const sent = performance.now();
      const answer = await worker.time({ texts, target, size, ...request });
      workerdClock.wallMs += performance.now() - sent;
      workerdClock.workerdMs += answer.elapsedMs;
      workerdClock.requests++;
      return answer.times;
    };
  const featurizeNode = featurizeCall((t) => featurize(t, manifest.featurizer), texts);
  const { single, batch } = sizes;
  return {
    "featurize-node": local(featurizeNode, 1),
    "featurize-workerd": remote("featurize", 1),
    "ort-web-workerd-single": remote("ort-web", single),
    "ort-web-workerd-batch": remote("ort-web", batch),
    "ort-node-single": local(engineCall(nodeEngines["ort-node"], bags, single), single),
    "ort-node-batch": local(engineCall(nodeEngines["ort-node"], bags, batch), batch),
    "ts-node-single": local(engineCall(nodeEngines["ts-node"], bags, single), single),
    "ts-node-batch": local(engineCall(nodeEngines["ts-node"], bags, batch), batch),
    "ts-workerd-single": remote("ts", single),
    "ts-workerd-batch": remote("ts", batch),
  } satisfies Record<string, Runner>;
}

const worker = await startBenchWorker(await freePort());
const cleanup = async () => {
  await worker.dispose();
  await ortNode.release();
};
cleanupOnSignal(cleanup);
try {
  log(`bench Worker up; checking agreement on ${texts.length} texts`);
  const agreement = await checkAgreement(worker);
  for (const a of agreement)
    log(
      `${a.runtime.padEnd(15)} ${a.mode.padEnd(6)} argmax mismatches ${a.argmaxMismatches}, max |Δ| ${a.maxAbsDiff.toExponential(2)}`,
    );
  const failed = agreement.filter((a) => !agrees(a, TOLERANCE));
  if (failed.length > 0)
    throw new Error(
      `outputs disagree with onnxruntime-node (limit |Δ| < ${TOLERANCE}, same arg-max): ${failed.map((a) => `${a.runtime} ${a.mode}`).join(", ")}`,
    );

  const workerdClock = { requests: 0, workerdMs: 0, wallMs: 0 };
  const times = await interleave(runners(worker, workerdClock), plan, (round) =>
    log(`timing, round ${round + 1} of ${plan.rounds}`),
  );
  if (!clockKeptTime(workerdClock.workerdMs, workerdClock.wallMs, workerdClock.requests))
    throw new Error(
      `workerd's clock did not keep time: ${workerdClock.workerdMs} ms inside the Worker, ${workerdClock.wallMs.toFixed(0)} ms around its ${workerdClock.requests} requests`,
    );
  const pair = (single: SeriesTimes, batch: SeriesTimes): RuntimeTimes => ({
    single: summarise(single),
    batch: summarise(batch),
  });
  const runtimes: Record<Runtime, RuntimeTimes> = {
    "ort-web-workerd": pair(times["ort-web-workerd-single"], times["ort-web-workerd-batch"]),
    "ort-node": pair(times["ort-node-single"], times["ort-node-batch"]),
    "ts-node": pair(times["ts-node-single"], times["ts-node-batch"]),
    "ts-workerd": pair(times["ts-workerd-single"], times["ts-workerd-batch"]),
  };
  const arch = manifest.onnx.architecture;
  const results: InferenceResults = {
    ...provenance("bench:inference", args, ["onnxruntime-node", "onnxruntime-web", "wrangler", "zod"]),
    settings: {
      modelDir: MODEL_DIR,
      model: manifest.name,
      version: manifest.version,
      sha256: sha256(pkg.student),
      architecture: `${arch.embeddingDtype} embedding ${arch.buckets}×${arch.dim}${arch.hidden > 0 ? ` → ReLU ${arch.hidden}` : ""} → ${arch.classes} classes`,
      texts: texts.length,
      classes,
      plan,
      tolerance: TOLERANCE,
    },
    workerdClock,
    featurize: { node: summarise(times["featurize-node"]), workerd: summarise(times["featurize-workerd"]) },
    runtimes,
    ratios: ratiosOver(runtimes),
    agreement,
  };
  await writeInferenceReport(results, { markdown: flags.markdown, json: flags.json });
  for (const runtime of Runtime.options) {
    const t = runtimes[runtime];
    const q = results.ratios.find((r) => r.runtime === runtime);
    log(
      `${runtime.padEnd(15)} single ${us(t.single.perCallUs.median).padStart(6)} µs/call (${q?.single.toFixed(2)}×), batch-${plan.batchSize} ${us(t.batch.perItemUs.median).padStart(6)} µs/text (${q?.batch.toFixed(2)}×)`,
    );
  }
  log(
    `featurise ${us(results.featurize.node.perItemUs.median)} µs/text in Node, ${us(results.featurize.workerd.perItemUs.median)} in workerd`,
  );
  log(`wrote ${flags.json} and the bench:inference section of ${flags.markdown}`);
} finally {
  await cleanup();
}
