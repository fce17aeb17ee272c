/**
 * `npm run bench:cascade`: the shipped cascades (models/clinc150, models/sms-spam) on their test splits,
 * evaluated as `npm run eval` does (onnxruntime-node, the bytes the Worker serves), and what they cost per
 * million requests against sending everything to the teacher; then the same students against a
 * synthesised 97%-accurate teacher at 99% and 99.5% retention (bench/cascade/strong-teacher.ts). Flags: --teacher-price-per-1k USD (0.50, an
 * assumption: see bench/cascade/report.ts), --student-price-per-1m USD (0: the Worker's own cost),
 * --markdown FILE (BENCHMARKS.md), --json FILE (bench/results/cascade.json).
 */
import { parseArgs } from "node:util";
import { loadDataset } from "../src/distill/data/index.ts";
import { LoadOptionsSchema } from "../src/distill/data/options.ts";
import { evaluatePackage } from "../src/distill/eval/package-eval.ts";
import { loadPackage } from "../src/distill/package/files.ts";
import {
  type CascadeResults,
  costPerMillion,
  DEFAULT_TEACHER_PRICE_PER_1K,
  type ModelCascade,
  writeCascadeReport,
} from "./cascade/report.ts";
import { runStrongTeacher, STRONG_TEACHER } from "./cascade/strong-teacher.ts";
import { provenance } from "./common/machine.ts";

const MODELS = ["models/clinc150", "models/sms-spam"] as const;

const args = process.argv.slice(2);
const { values: flags } = parseArgs({
  args,
  options: {
    "teacher-price-per-1k": { type: "string" },
    "student-price-per-1m": { type: "string", default: "0" },
    markdown: { type: "string", default: "BENCHMARKS.md" },
    json: { type: "string", default: "bench/results/cascade.json" },
  },
});
const usdFlag = (name: "teacher-price-per-1k" | "student-price-per-1m", fallback: number): number => {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < 0)
    throw new Error(`--${name} must be a number ≥ 0 (USD), got "${raw}"`);
  return value;
};
const teacherPer1k = usdFlag("teacher-price-per-1k", DEFAULT_TEACHER_PRICE_PER_1K);
const studentPerMillion = usdFlag("student-price-per-1m", 0);

const models: ModelCascade[] = [];
for (const dir of MODELS) {
  const pkg = await loadPackage(dir);
  const data = LoadOptionsSchema.safeParse(pkg.manifest.training.data);
  if (!data.success) throw new Error(`${dir}: manifest training.data does not record a loadable data set`);
  const dataset = await loadDataset(data.data);
  const { summary } = await evaluatePackage(pkg, dataset);
  const c = summary.cascade;
  const strong = await runStrongTeacher(pkg, dataset);
  models.push({
    model: pkg.manifest.name,
    dir,
    version: pkg.manifest.version,
    dataset: summary.dataset,
    nTest: summary.n_test,
    teacherAccuracy: summary.teacher.accuracy,
    studentAccuracy: summary.student.accuracy,
    cascade: {
      score: c.score,
      threshold: c.threshold,
      teacherRate: c.teacher_rate,
      accuracy: c.accuracy,
      retention: c.retention,
    },
    cost: costPerMillion({ teacherPer1k, studentPerMillion, teacherRate: c.teacher_rate }),
    strongTeacher: {
      targetAccuracy: STRONG_TEACHER.accuracy,
      seed: STRONG_TEACHER.seed,
      ...strong,
      points: strong.points.map((p) => ({
        ...p,
        cost: costPerMillion({ teacherPer1k, studentPerMillion, teacherRate: p.test.teacherRate.value }),
      })),
    },
  });
  process.stderr.write(
    `${dir}: n=${summary.n_test} teacher ${summary.teacher.accuracy.toFixed(4)} student ${summary.student.accuracy.toFixed(4)} cascade ${c.accuracy.toFixed(4)} at teacher rate ${c.teacher_rate.toFixed(4)}\n`,
  );
  for (const p of strong.points)
    process.stderr.write(
      `  vs the ${STRONG_TEACHER.accuracy} teacher, keep ≥ ${p.target}: teacher rate ${p.test.teacherRate.value.toFixed(4)} retention ${p.test.retention.value.toFixed(4)} on ${strong.fitSplit === "val" ? "test" : "the other half of test"} (oracle ${p.oracle.teacherRate.toFixed(4)})\n`,
    );
}

const results: CascadeResults = {
  ...provenance("bench:cascade", args, ["onnxruntime-node", "onnxruntime-web", "zod"]),
  prices: {
    teacherPer1k,
    studentPerMillion,
    teacherPriceAssumed: flags["teacher-price-per-1k"] === undefined,
  },
  models,
};
await writeCascadeReport(results, { markdown: flags.markdown, json: flags.json });
process.stderr.write(`wrote ${flags.json} and the bench:cascade section of ${flags.markdown}\n`);
