import { z } from "zod";
import { pct, threshold } from "../../src/distill/report/format.ts";
import { mdCode, mdTable } from "../../src/distill/report/md.ts";
import { MachineSchema } from "../common/machine.ts";
import { sectionMarkers, writeReport } from "../common/section.ts";
import { BOOTSTRAP_RESAMPLES } from "./retention.ts";

/**
 * Default teacher price, an assumption and not a quote: $0.50 per 1,000 requests ($0.0005 a call), about
 * what one hosted-LLM classification call costs with a few hundred prompt tokens (label list and text) at
 * $1–2 per million input tokens plus a handful of output tokens. Set the real price with
 * --teacher-price-per-1k.
 */
export const DEFAULT_TEACHER_PRICE_PER_1K = 0.5;

const Rate = z.number().min(0).max(1);
const Usd = z.number().min(0);

const Interval = z.object({ value: z.number(), lo: z.number(), hi: z.number() });
const CostFigures = z.object({
  teacherOnlyPerMillion: Usd,
  cascadePerMillion: Usd,
  /** 1 − cascade / teacher-only; null when teacher-only costs nothing. */
  saving: z.number().nullable(),
});

/** One retention target against the strong teacher: fitted on one split, measured on another. */
const StrongTeacherPoint = z.object({
  target: z.number(),
  threshold: z.number(),
  fit: z.object({ teacherRate: Rate, retention: z.number() }),
  test: z.object({ teacherRate: Interval, accuracy: Rate, retention: Interval }),
  oracle: z.object({ threshold: z.number(), teacherRate: Rate, retention: z.number() }),
  /** At the teacher rate realised on test. */
  cost: CostFigures,
});

/** The shipped student against a synthesised teacher of a set accuracy (bench/cascade/strong-teacher.ts). */
const StrongTeacher = z.object({
  targetAccuracy: Rate,
  seed: z.number().int(),
  fitSplit: z.enum(["val", "test-hash-half"]),
  nFit: z.number().int(),
  nTest: z.number().int(),
  teacherAccuracy: z.object({ fit: Rate, test: Rate }),
  studentAccuracy: Rate,
  points: z.array(StrongTeacherPoint),
});
export type StrongTeacher = z.infer<typeof StrongTeacher>;

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
  cost: CostFigures,
  strongTeacher: StrongTeacher,
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

const withInterval = (e: { value: number; lo: number; hi: number }) =>
  `${p1(e.value)} (${p1(e.lo)}–${p1(e.hi)})`;

const FIT_SPLITS: Record<StrongTeacher["fitSplit"], { fit: string; test: string; why: string }> = {
  val: { fit: "the validation split", test: "the test split", why: "" },
  "test-hash-half": {
    fit: "one half of the test split, chosen by a stable hash of the text",
    test: "the other half",
    why: " Not on val: the package fitted its calibration and threshold there, so val flatters the student.",
  },
};

function strongTeacherLines(r: ModelCascade): string[] {
  const s = r.strongTeacher;
  const where = FIT_SPLITS[s.fitSplit];
  return [
    `Against a ${pct(s.targetAccuracy, 0)}-accurate teacher (synthesised answers, seed ${s.seed}): thresholds fitted on ${where.fit} (n = ${s.nFit}), figures measured on ${where.test} (n = ${s.nTest}), where the teacher alone is ${p1(s.teacherAccuracy.test)} accurate and the student alone ${p1(s.studentAccuracy)}.${where.why}`,
    "",
    mdTable(
      [
        "keep ≥",
        "threshold",
        "teacher rate (95% CI)",
        "retention (95% CI)",
        "oracle: teacher rate",
        "oracle: retention",
        "USD / 1M requests",
        "saving",
      ],
      s.points.map((p) => [
        pct(p.target, 1),
        threshold(p.threshold),
        withInterval(p.test.teacherRate),
        withInterval(p.test.retention),
        p1(p.oracle.teacherRate),
        p1(p.oracle.retention),
        usd(p.cost.cascadePerMillion),
        p.cost.saving === null ? "—" : p1(p.cost.saving),
      ]),
      ["right", "right", "right", "right", "right", "right", "right", "right"],
    ),
    "",
  ];
}

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
    ...strongTeacherLines(r),
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
    `**Against a strong teacher.** The bundled n-gram teacher is a weak one; a real deployment's LLM is more accurate, and keeping most of a better teacher takes more teacher calls. So each package is also routed against a 97%-accurate teacher whose answers \`npm run answers\` would synthesise (its synthesiser called directly, fixed seed: deterministic per text, the errors on the local teacher's plausible confusions), on each split separately. The student is the shipped one, calibrated and scored as its manifest says; only the threshold moves. For each target retention (served accuracy / teacher-only accuracy, both against gold) the lowest-teacher-rate threshold that reaches it is fitted on one split and measured on another, so the figure is not fitted on what it reports: teacher rate with a 95% Wilson interval, retention with a 95% paired-bootstrap interval (${BOOTSTRAP_RESAMPLES.toLocaleString("en-US")} resamples, fixed seed). The oracle columns fit the same target on the measured split itself, labelled so: what that split allows in hindsight, not a forecast. Costs are at the measured teacher rate.`,
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
