import { z } from "zod";
import { MISSING } from "../../src/distill/report/format.ts";
import { mdTable } from "../../src/distill/report/md.ts";
import { MachineSchema } from "../common/machine.ts";
import { sectionMarkers, writeReport } from "../common/section.ts";
import { Agreement, SeriesSummary } from "./stats.ts";

export const INFERENCE_MARKERS = sectionMarkers("inference");

const Count = z.number().int().min(1);

/** The run's timing plan (the flags of bench/inference.ts). */
export const BenchPlan = z
  .object({
    /** Timed batches per series. */
    batches: Count.max(1000),
    /** The rounds they are spread over, every series taking its turn in each round. */
    rounds: Count.max(1000),
    /** Calls per batch before calibration (the floor). */
    calls: Count.max(100_000),
    /** Texts per call of the batched series. */
    batchSize: Count.max(1024),
    /** Calibration doubles the calls per batch until a batch takes at least this long. */
    minBatchMs: z.number().min(0).max(10_000),
  })
  .strict()
  .refine((p) => p.rounds <= p.batches, { message: "rounds must not exceed batches", path: ["rounds"] });
export type BenchPlan = z.infer<typeof BenchPlan>;

/** The runtimes compared, in table order; ORT-node is the base of every ratio and the logit reference. */
const RUNTIMES = {
  "ort-web-workerd": "onnxruntime-web (WASM) in workerd, the gateway's session",
  "ort-node": "onnxruntime-node in Node",
  "ts-node": "TypeScript forward pass in Node",
  "ts-workerd": "TypeScript forward pass in workerd",
} as const;
export const Runtime = z.enum(["ort-web-workerd", "ort-node", "ts-node", "ts-workerd"]);
export type Runtime = z.infer<typeof Runtime>;
const BASE_RUNTIME: Runtime = "ort-node";

export const Mode = z.enum(["single", "batch"]);
export type Mode = z.infer<typeof Mode>;

const RuntimeTimes = z.object({ single: SeriesSummary, batch: SeriesSummary }).strict();
export type RuntimeTimes = z.infer<typeof RuntimeTimes>;

export const Ratio = z
  .object({
    runtime: Runtime,
    /** Median µs per text of the runtime ÷ that of ORT-node, single-text calls. */
    single: z.number(),
    /** The same for batched calls, per text. */
    batch: z.number(),
  })
  .strict();
export type Ratio = z.infer<typeof Ratio>;

/** What bench/results/inference.json holds (validated before it is written). */
export const InferenceResults = z
  .object({
    command: z.string(),
    date: z.string(),
    machine: MachineSchema,
    settings: z
      .object({
        modelDir: z.string(),
        model: z.string(),
        version: z.string(),
        sha256: z.string(),
        architecture: z.string(),
        texts: z.number().int(),
        classes: z.number().int(),
        plan: BenchPlan,
        tolerance: z.number(),
      })
      .strict(),
    /** The timing requests to the Worker, summed: by workerd's clock inside it, by Node's wall clock around them. */
    workerdClock: z
      .object({ requests: z.number().int(), workerdMs: z.number(), wallMs: z.number() })
      .strict(),
    featurize: z.object({ node: SeriesSummary, workerd: SeriesSummary }).strict(),
    runtimes: z.record(Runtime, RuntimeTimes),
    ratios: z.array(Ratio),
    /** Every runtime and mode against ORT-node single-text calls, over every text. */
    agreement: z.array(z.object({ runtime: Runtime, mode: Mode, ...Agreement.shape }).strict()),
  })
  .strict();
export type InferenceResults = z.infer<typeof InferenceResults>;

/** Each runtime's median per-text time over ORT-node's, single-text and batched. */
export function ratiosOver(runtimes: Record<Runtime, RuntimeTimes>, base: Runtime = BASE_RUNTIME): Ratio[] {
  const b = runtimes[base];
  return Runtime.options.map((runtime) => ({
    runtime,
    single: runtimes[runtime].single.perItemUs.median / b.single.perItemUs.median,
    batch: runtimes[runtime].batch.perItemUs.median / b.batch.perItemUs.median,
  }));
}

/** µs with three significant figures or so: 0.842, 12.3, 145. */
export function us(value: number): string {
  if (!Number.isFinite(value)) return MISSING;
  return value.toFixed(value < 1 ? 3 : value < 100 ? 1 : 0);
}

const times = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}×` : MISSING);

function timingTable(r: InferenceResults): string {
  const ratio = (runtime: Runtime) => r.ratios.find((q) => q.runtime === runtime);
  return mdTable(
    [
      "Runtime",
      "single: µs/call (median)",
      "p90",
      "÷ ORT-node",
      `batch-${r.settings.plan.batchSize}: µs/call (median)`,
      "µs/text (median)",
      "µs/text p90",
      "÷ ORT-node",
    ],
    Runtime.options.map((runtime) => {
      const t = r.runtimes[runtime];
      return [
        RUNTIMES[runtime],
        `**${us(t.single.perCallUs.median)}**`,
        us(t.single.perCallUs.p90),
        times(ratio(runtime)?.single ?? Number.NaN),
        us(t.batch.perCallUs.median),
        `**${us(t.batch.perItemUs.median)}**`,
        us(t.batch.perItemUs.p90),
        times(ratio(runtime)?.batch ?? Number.NaN),
      ];
    }),
    ["left", "right", "right", "right", "right", "right", "right", "right"],
  );
}

function planTable(r: InferenceResults): string {
  const ms = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  const row = (name: string, s: SeriesSummary) => [
    name,
    String(s.batches),
    String(s.callsPerBatch),
    String(s.size),
    `${ms(Math.min(...s.batchMs))}–${ms(Math.max(...s.batchMs))}`,
  ];
  return mdTable(
    ["Series", "Batches", "Calls per batch", "Texts per call", "Batch ms (min–max)"],
    [
      row("featurise, Node", r.featurize.node),
      row("featurise, workerd", r.featurize.workerd),
      ...Runtime.options.flatMap((runtime) => [
        row(`${RUNTIMES[runtime]}, single`, r.runtimes[runtime].single),
        row(`${RUNTIMES[runtime]}, batch`, r.runtimes[runtime].batch),
      ]),
    ],
    ["left", "right", "right", "right", "right"],
  );
}

export function renderInferenceSection(r: InferenceResults, paths: { json: string }): string {
  const m = r.machine;
  const s = r.settings;
  const packages = Object.entries(m.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  const ratio = (runtime: Runtime) => r.ratios.find((q) => q.runtime === runtime);
  const web = ratio("ort-web-workerd");
  const tsNode = ratio("ts-node");
  const tsWorkerd = ratio("ts-workerd");
  const f = r.featurize;
  const gatewayCall = f.workerd.perItemUs.median + r.runtimes["ort-web-workerd"].single.perCallUs.median;
  const worst = Math.max(...r.agreement.map((a) => a.maxAbsDiff));
  const mismatches = r.agreement.reduce((n, a) => n + a.argmaxMismatches, 0);
  return [
    INFERENCE_MARKERS.start,
    "## Student inference in three runtimes (`npm run bench:inference`)",
    "",
    `\`${r.command}\` — ${r.date}, ${m.nproc} × ${m.cpu}, Node ${m.node}, ${packages}${m.commit ? `, commit ${m.commit.slice(0, 10)}` : ""}.`,
    "",
    `The shipped student \`${s.modelDir}\` (\`${s.model}\` ${s.version}, \`student.onnx\` SHA-256 \`${s.sha256.slice(0, 12)}…\`, ${s.architecture}) on the ${s.texts} CLINC150 test texts, featurised by \`src/core/featurizer.ts\` in each runtime; calls cycle through the texts in order.`,
    "",
    "- **onnxruntime-web in workerd**: `bench/inference/worker.ts`, bundled by `wrangler deploy --dry-run` and run under real workerd (wrangler's `unstable_startWorker`, local mode), running the gateway's own code path: the bundled package, `src/gateway/models/sessions.ts` (its serial queue included) over `src/gateway/runtime/onnx-session.ts` (WASM SIMD, one thread).",
    "- **onnxruntime-node**: the same bytes, one intra-op thread (as the toolkit runs it and as the WASM build is), inputs padded by `src/core/batch.ts` as in the Worker.",
    "- **TypeScript forward pass**: `forwardLogits` (`src/core/model.ts`) over the weights `src/core/onnx-weights.ts` reads from the same bytes (int8 rows dequantised), in Node and in the same bench Worker.",
    `- **Timing**: workerd's \`performance.now()\` ticks in whole milliseconds, so every series is timed in batches of many sequential calls, by the same code in both runtimes (\`bench/inference/measure.ts\`; in workerd inside the Worker). The calls per batch start at ${s.plan.calls} and are doubled, after a warm-up batch, until one batch takes at least ${s.plan.minBatchMs} ms. Each series gets ${s.plan.batches} timed batches, spread over ${s.plan.rounds} rounds in which every series takes its turn (after one untimed warm-up batch), so a change of load during the run hits all runtimes alike. A figure is a batch's time ÷ its calls; median and p90 over the batches. Single = one text per call; batch = ${s.plan.batchSize} texts per call (one \`session.run\`), also given per text. Featurisation is timed apart (it is the same for every engine).`,
    `- **workerd's clock, checked**: over the ${r.workerdClock.requests} timing requests it measured ${(r.workerdClock.workerdMs / 1000).toFixed(2)} s inside the Worker, Node's wall clock ${(r.workerdClock.wallMs / 1000).toFixed(2)} s around them (the bench fails unless the first is 50–101% of the second; the difference is the HTTP hop).`,
    "",
    "**Caveat:** one shared machine, timed while other work may run; compare the ratios of one run rather than absolute figures across runs.",
    "",
    "### Time per call",
    "",
    timingTable(r),
    "",
    `**Ratios (median per text ÷ onnxruntime-node):** onnxruntime-web in workerd ${times(web?.single ?? Number.NaN)} single-text, ${times(web?.batch ?? Number.NaN)} batch-${s.plan.batchSize}; the TypeScript forward pass ${times(tsNode?.single ?? Number.NaN)} / ${times(tsNode?.batch ?? Number.NaN)} in Node and ${times(tsWorkerd?.single ?? Number.NaN)} / ${times(tsWorkerd?.batch ?? Number.NaN)} in workerd.`,
    "",
    "### Featurisation (shared by all engines)",
    "",
    mdTable(
      ["Runtime", "µs/text (median)", "p90"],
      [
        ["Node", `**${us(f.node.perItemUs.median)}**`, us(f.node.perItemUs.p90)],
        ["workerd", `**${us(f.workerd.perItemUs.median)}**`, us(f.workerd.perItemUs.p90)],
      ],
      ["left", "right", "right"],
    ),
    "",
    `A single-text request in the gateway therefore spends about ${us(gatewayCall)} µs on the student (featurise ${us(f.workerd.perItemUs.median)} + onnxruntime-web ${us(r.runtimes["ort-web-workerd"].single.perCallUs.median)}), before HTTP, JSON and routing.`,
    "",
    "### Agreement (checked before timing; the bench fails otherwise)",
    "",
    `Every text through every runtime, single-text and batch-${s.plan.batchSize} calls, against onnxruntime-node single-text calls: ${mismatches} arg-max mismatches, largest |Δ logit| ${worst.toExponential(1)} (limit < ${s.tolerance.toExponential(0)}).`,
    "",
    mdTable(
      ["Runtime", "Calls", "Texts", "Arg-max mismatches", "Max |Δ logit|"],
      r.agreement.map((a) => [
        RUNTIMES[a.runtime],
        a.mode === "single" ? "single" : `batch-${s.plan.batchSize}`,
        String(a.rows),
        String(a.argmaxMismatches),
        a.maxAbsDiff === 0 ? "0" : a.maxAbsDiff.toExponential(1),
      ]),
      ["left", "left", "right", "right", "right"],
    ),
    "",
    "### Series as timed",
    "",
    planTable(r),
    "",
    `Raw figures, every batch time included: [${paths.json}](${paths.json}).`,
    INFERENCE_MARKERS.end,
  ].join("\n");
}

export async function writeInferenceReport(
  results: InferenceResults,
  paths: { markdown: string; json: string },
): Promise<void> {
  InferenceResults.parse(results);
  await writeReport(paths, INFERENCE_MARKERS, results, (json) => renderInferenceSection(results, { json }));
}
