import type { ModelManifest, OnnxSpec, TeacherManifest } from "../../core/manifest.ts";
import { type Ensemble, ensembleLogits } from "../../core/model.ts";
import { readEnsembleWeights } from "../../core/onnx-weights.ts";
import { chooseRouting } from "../calibrate/routing.ts";
import { fitTemperature } from "../calibrate/temperature.ts";
import type { Dataset } from "../data/index.ts";
import { evaluatePackage } from "../eval/package-eval.ts";
import type { EvalDetails, EvalSummary } from "../eval/types.ts";
import { DEFAULT_INPUT_NAMES, DEFAULT_OUTPUT_NAME, exportOnnx } from "../onnx/export.ts";
import { type LoadedPackage, STUDENT_FILE, sha256, TEACHER_FILE, writePackage } from "../package/files.ts";
import { writeReport } from "../report/write.ts";
import type { DistillOptions, ModelRecipe } from "./config.ts";
import { encodeSplit } from "./encode.ts";
import type { Progress } from "./progress.ts";
import { trainStudent } from "./student.ts";
import { logitsOf, trainTeacher } from "./teacher.ts";

export interface DistillResult {
  pkg: LoadedPackage;
  summary: EvalSummary;
  details: EvalDetails;
  seconds: number;
}

/**
 * The whole toolkit in one call: train the teacher, distil the student, export both, calibrate and
 * choose the routing rule on validation data from the exported weights, evaluate the package as
 * shipped on the test split, and write it with its report.
 */
export async function distill(
  dataset: Dataset,
  options: DistillOptions,
  progress: Progress,
  provenance: Record<string, unknown>,
): Promise<DistillResult> {
  try {
    return await distillSteps(dataset, options, progress, provenance);
  } finally {
    progress.done();
  }
}

async function distillSteps(
  dataset: Dataset,
  options: DistillOptions,
  progress: Progress,
  provenance: Record<string, unknown>,
): Promise<DistillResult> {
  const started = performance.now();
  const teacher = await trainTeacher(dataset, options, progress);
  const student = trainStudent(
    dataset,
    { members: teacher.members, featurizer: teacher.featurizer, trainLogits: teacher.logits.train },
    options,
    progress,
  );

  progress.stage("export: ONNX graphs");
  const teacherOnnx = exportOnnx(teacher.members, { embeddingDtype: options.teacher.embeddingDtype });
  const studentOnnx = exportOnnx([student.weights], { embeddingDtype: options.student.embeddingDtype });

  // Calibrate and route with the weights as shipped (float16 rounding included), not the trained ones.
  progress.stage("calibrate: temperature and routing threshold on validation");
  const valLogits = (onnx: Uint8Array, featurizer: typeof student.featurizer) => {
    const members: Ensemble = readEnsembleWeights(onnx);
    const bags = encodeSplit(dataset.val, dataset.labels, featurizer);
    return {
      bags,
      logits: logitsOf(bags, (ids, out) => ensembleLogits(members, ids, out), dataset.labels.length),
    };
  };
  const studentVal = valLogits(studentOnnx, student.featurizer);
  const teacherVal = valLogits(teacherOnnx, teacher.featurizer);
  const temperature = fitTemperature(studentVal.logits, studentVal.bags.labels);
  const routing = chooseRouting(
    studentVal.logits,
    teacherVal.logits,
    studentVal.bags.labels,
    temperature,
    options.target,
  );

  const version = String(provenance.version ?? "1.0.0");
  const teacherManifest: TeacherManifest = {
    name: options.name,
    version,
    role: "teacher",
    task: "text-classification",
    labels: dataset.labels,
    featurizer: teacher.featurizer,
    onnx: onnxSpec(TEACHER_FILE, teacherOnnx, options.teacher, dataset.labels.length),
  };
  const draft: ModelManifest = {
    name: options.name,
    version,
    role: "student",
    task: "text-classification",
    labels: dataset.labels,
    outOfScopeLabel: dataset.outOfScopeLabel,
    featurizer: student.featurizer,
    onnx: onnxSpec(STUDENT_FILE, studentOnnx, options.student, dataset.labels.length),
    calibration: { method: "temperature", temperature, fittedOn: "val" },
    routing,
    evaluation: placeholderEvaluation(),
    training: {
      dataset: dataset.name,
      source: dataset.source,
      sizes: { train: dataset.train.length, val: dataset.val.length, test: dataset.test.length },
      seed: options.seed,
      distillation: { temperature: options.kd.temperature, alpha: options.kd.alpha },
      augment: options.augment,
      teacher: { recipe: options.teacher, outOfScopeBias: teacher.oosBias },
      student: { recipe: options.student },
      createdAt: new Date().toISOString(),
      ...provenance,
    },
  };
  const pkg: LoadedPackage = {
    dir: options.out,
    manifest: draft,
    student: studentOnnx,
    teacher: { manifest: teacherManifest, onnx: teacherOnnx },
  };

  progress.stage("evaluate: the package as shipped, on the test split");
  const { summary, details } = await evaluatePackage(pkg, dataset);
  pkg.manifest = { ...draft, evaluation: evaluationOf(summary) };
  await writePackage(pkg);
  await writeReport(options.out, summary, details);
  return { pkg, summary, details, seconds: (performance.now() - started) / 1000 };
}

function onnxSpec(file: string, bytes: Uint8Array, recipe: ModelRecipe, classes: number): OnnxSpec {
  return {
    file,
    bytes: bytes.length,
    sha256: sha256(bytes),
    inputs: { ...DEFAULT_INPUT_NAMES },
    output: DEFAULT_OUTPUT_NAME,
    architecture: {
      buckets: recipe.buckets,
      dim: recipe.dim,
      hidden: recipe.hidden,
      classes,
      members: recipe.members,
      embeddingDtype: recipe.embeddingDtype,
    },
  };
}

function placeholderEvaluation(): ModelManifest["evaluation"] {
  const zero = { accuracy: 0, in_scope_accuracy: 0, oos_recall: null };
  return {
    split: "test",
    n: 0,
    teacher: zero,
    student: { ...zero, ece: 0, ece_uncalibrated: 0 },
    cascade: { teacher_rate: 0, accuracy: 0, retention: 0 },
  };
}

export function evaluationOf(summary: EvalSummary): ModelManifest["evaluation"] {
  const { ece, ece_uncalibrated, accuracy, in_scope_accuracy, oos_recall } = summary.student;
  return {
    split: "test",
    n: summary.n_test,
    teacher: summary.teacher,
    student: { accuracy, in_scope_accuracy, oos_recall, ece, ece_uncalibrated },
    cascade: {
      teacher_rate: summary.cascade.teacher_rate,
      accuracy: summary.cascade.accuracy,
      retention: summary.cascade.retention,
    },
  };
}
