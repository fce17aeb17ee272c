import { z } from "zod";
import { pct, threshold } from "../../src/distill/report/format.ts";
import { mdCode, mdTable } from "../../src/distill/report/md.ts";
import { MachineSchema } from "../common/machine.ts";
import { sectionMarkers, writeReport } from "../common/section.ts";

/**
 * Default teacher price, an assumption and not a quote: $0.50 per 1,000 requests ($0.0005 a call), about
 * what one hosted-LLM classification call costs with a few hundred prompt tokens (label list and text) at
 * $1–2 per million input tokens plus a handful of output tokens. Set the real price with
 * --teacher-price-per-1k.
 */
export const DEFAULT_TEACHER_PRICE_PER_1K = 0.5;

const Rate = z.number().min(0).max(1);
const Usd = z.number().min(0);

export const ModelCascade = z.object({
  model: z.string(),
  dir: z.string(),
  version: z.string(),
  dataset: z.string(),
  nTest: z.number().int(),
  teacherAccuracy: Rate,
  studentAccuracy: Rate,
  cascade: z.object({
    score: z.string(),
    threshold: z.number(),
    teacherRate: Rate,
    accuracy: Rate,
    retention: z.number(),
  }),
  cost: z.object({
    teacherOnlyPerMillion: Usd,
    cascadePerMillion: Usd,
    /** 1 − cascade / teacher-only; null when teacher-only costs nothing. */
    saving: z.number().nullable(),
  }),
});
export type ModelCascade = z.infer<typeof ModelCascade>;

/** What bench/results/cascade.json holds (validated before it is written). */
export const CascadeResults = z.object({
  command: z.string(),
  date: z.string(),
  machine: MachineSchema,
  prices: z.object({
    teacherPer1k: Usd,
    studentPerMillion: Usd,
    teacherPriceAssumed: z.boolean(),
  }),
  models: z.array(ModelCascade),
});
export type CascadeResults = z.infer<typeof CascadeResults>;

/**
 * USD per million requests. Teacher-only: every request is a teacher call. Cascade: only the share the
 * student escalates is, plus what the student itself costs (the Worker) per million requests.
 */
export function costPerMillion(prices: {
  teacherPer1k: number;
  studentPerMillion: number;
  teacherRate: number;
}): ModelCascade["cost"] {
  const { teacherPer1k, studentPerMillion, teacherRate } = prices;
  if (!(teacherPer1k >= 0) || !(studentPerMillion >= 0)) throw new Error("prices must be ≥ 0");
  if (!(teacherRate >= 0 && teacherRate <= 1)) throw new Error("the teacher rate must be in [0, 1]");
  const perRequest = teacherPer1k / 1000;
  const teacherOnlyPerMillion = 1e6 * perRequest;
  const cascadePerMillion = 1e6 * teacherRate * perRequest + studentPerMillion;
  return {
    teacherOnlyPerMillion,
    cascadePerMillion,
    saving: teacherOnlyPerMillion > 0 ? 1 - cascadePerMillion / teacherOnlyPerMillion : null,
  };
}

export const CASCADE_MARKERS = sectionMarkers("cascade");

const usd = (x: number) => `$${x.toFixed(2)}`;
/** Prices as given, but never shown with fewer than two decimals ($0.50, $0.0025). */
const price = (x: number) => `$${x.toFixed(Math.max(2, (String(x).split(".")[1] ?? "").length))}`;
const p1 = (x: number | null) => pct(x, 1);

export function renderCascadeSection(results: CascadeResults, links: { json: string }): string {
  const { machine: m, prices } = results;
  const packages = Object.entries(m.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(", ");
  const perModel = results.models.flatMap((r) => [
    `### ${r.model} (${mdCode(r.dir, false)}, version ${mdCode(r.version, false)}, test n = ${r.nTest})`,
    "",
    mdTable(
      ["", "accuracy", "score", "threshold", "teacher rate", "retention"],
      [
        ["teacher only", p1(r.teacherAccuracy), "—", "—", "100.0%", "100.0%"],
        ["student only", p1(r.studentAccuracy), "—", "—", "0.0%", p1(r.studentAccuracy / r.teacherAccuracy)],
        [
          "cascade (shipped)",
          p1(r.cascade.accuracy),
          mdCode(r.cascade.score),
          threshold(r.cascade.threshold),
          p1(r.cascade.teacherRate),
          p1(r.cascade.retention),
        ],
      ],
      ["left", "right", "left", "right", "right", "right"],
    ),
    "",
  ]);
  const costTable = mdTable(
    ["model", "teacher rate", "teacher only, USD / 1M requests", "cascade, USD / 1M requests", "saving"],
    results.models.map((r) => [
      r.model,
      p1(r.cascade.teacherRate),
      usd(r.cost.teacherOnlyPerMillion),
      usd(r.cost.cascadePerMillion),
      r.cost.saving === null ? "—" : p1(r.cost.saving),
    ]),
    ["left", "right", "right", "right", "right"],
  );
  const teacherPrice = `${price(prices.teacherPer1k)} per 1,000 teacher requests`;
  return [
    CASCADE_MARKERS.start,
    "## Cascade and cost (`npm run bench:cascade`)",
    "",
    `\`${results.command}\` — ${results.date}, ${m.nproc} × ${m.cpu}, Node ${m.node}, ${packages}${m.commit ? `, commit ${m.commit.slice(0, 10)}` : ""}.`,
    "",
    "Each shipped package evaluated on the test split of the data its manifest records (`training.data`), with `evaluatePackage`: its `student.onnx` and `teacher/teacher.onnx` through onnxruntime-node, the same bytes the Worker serves (the parity tests hold the Worker to these numbers), routed by the score and threshold in its manifest. The figures equal `npm run eval -- --model <dir> --json`. Retention is cascade (or student) accuracy over teacher-only accuracy.",
    "",
    ...perModel,
    `### Cost per million requests at ${teacherPrice}`,
    "",
    costTable,
    "",
    `- Teacher only: 1e6 × the teacher price per request. Cascade: 1e6 × teacher rate × the teacher price per request + the student's cost per million requests (here ${usd(prices.studentPerMillion)}${prices.studentPerMillion === 0 ? ", i.e. the Worker's own cost left out; set it with `--student-price-per-1m`" : ""}). Saving: 1 − cascade / teacher only.`,
    prices.teacherPriceAssumed
      ? `- The teacher price is an **assumption**, not a quote: ${teacherPrice} (${price(prices.teacherPer1k / 1000)} a call), roughly one hosted-LLM classification call with a few hundred prompt tokens at $1–2 per million input tokens. Rerun with \`--teacher-price-per-1k USD\` for your teacher; the saving depends only on the teacher rate while the student's cost is 0.`
      : `- The teacher price was given on the command line (\`--teacher-price-per-1k\`).`,
    "",
    `Raw figures: [${links.json}](${links.json}).`,
    CASCADE_MARKERS.end,
  ].join("\n");
}

/** Writes the JSON and the cascade's section of BENCHMARKS.md, leaving every other section as it is. */
export async function writeCascadeReport(
  results: CascadeResults,
  paths: { markdown: string; json: string },
): Promise<void> {
  CascadeResults.parse(results);
  await writeReport(paths, CASCADE_MARKERS, results, (json) => renderCascadeSection(results, { json }));
}
