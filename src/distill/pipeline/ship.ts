import type { FeaturizerConfig } from "../../core/featurizer.ts";
import type { ModelManifest, OnnxSpec, RoutingSpec } from "../../core/manifest.ts";
import type { Estimate } from "../../core/metrics.ts";
import {
  createEnsembleScratch,
  type EmbeddingBagWeights,
  type Ensemble,
  ensembleLogits,
} from "../../core/model.ts";
import { readEnsembleWeights } from "../../core/onnx-weights.ts";
import type { RoutingFit, RoutingGoal } from "../calibrate/agreement-fit.ts";
import { chooseRouting } from "../calibrate/routing.ts";
import { fitTemperature } from "../calibrate/temperature.ts";
import type { Dataset, Example } from "../data/index.ts";
import { evaluatePackage } from "../eval/package-eval.ts";
import type { EvalDetails, EvalSummary } from "../eval/types.ts";
import { DEFAULT_INPUT_NAMES, DEFAULT_OUTPUT_NAME, exportOnnx } from "../onnx/export.ts";
import {
  type LoadedPackage,
  type LocalTeacher,
  STUDENT_FILE,
  sha256,
  writePackage,
} from "../package/files.ts";
import { compactRoutingFit, routingFitSection } from "../report/agreement.ts";
import { writeReport } from "../report/write.ts";
import type { DistillOptions, ModelRecipe } from "./config.ts";
import { encodeSplit } from "./encode.ts";
import { logitsOf } from "./ensemble.ts";
import type { Progress } from "./progress.ts";
import { fitOnTeacherAnswers } from "./teacher-answers.ts";

export interface DistillResult {
  pkg: LoadedPackage;
  summary: EvalSummary;
  details: EvalDetails;
  seconds: number;
  /** Fitted on a remote teacher's answers: every score kind side by side on the held-out slice. */
  routingFit?: RoutingFit;
}

/** What routing on a remote teacher's answers needs beyond the held-out slice (dataset.val). */
export interface RemoteTeacherFit {
  goal: RoutingGoal;
  /** 1 / P(logged) of each held-out record, in dataset.val order. */
  heldOutWeight: Float64Array;
}

export interface ShipInputs {
  dataset: Dataset;
  student: { weights: EmbeddingBagWeights; featurizer: FeaturizerConfig };
  /**
   * The teacher as shipped: freshly exported, or the existing package's when only the student is new.
   * Null when the teacher is remote: then dataset.val and dataset.test hold its logged answers (the
   * held-out slice), which calibration, routing and evaluation score against.
   */
  teacher: LocalTeacher | null;
  /** Required when `teacher` is null. */
  remote?: RemoteTeacherFit;
  options: DistillOptions;
  version: string;
  /** What manifest.training records beyond the common fields: the teacher's origin, data, logged examples. */
  training: Record<string, unknown>;
  /** performance.now() when the run began, for `seconds`. */
  started: number;
}

/**
 * The steps every student goes through, whichever way it was trained: export it, calibrate it and
 * choose the routing rule on validation data from the exported weights, evaluate the package as
 * shipped on the test split, and write the package with its report. Without a local teacher, val and
 * test are the held-out slice of the teacher's logged answers.
 */
export async function shipStudent(inputs: ShipInputs, progress: Progress): Promise<DistillResult> {
  const { dataset, student, teacher, options, version } = inputs;
  progress.stage("export: student ONNX graph");
  const studentOnnx = exportOnnx([student.weights], {
    embeddingDtype: options.student.embeddingDtype,
    embeddingBits: options.student.embeddingBits,
  });

  // Calibrate and route with the weights as shipped (float16 rounding included), not the trained ones.
  const split = teacher ? { fit: "val", test: "test" } : { fit: HELD_OUT, test: HELD_OUT };
  progress.stage(`calibrate: temperature and routing threshold on ${split.fit}`);
  const logitsOn = (examples: readonly Example[], onnx: Uint8Array, featurizer: FeaturizerConfig) => {
    const members: Ensemble = readEnsembleWeights(onnx);
    const bags = encodeSplit(examples, dataset.labels, featurizer);
    const scratch = createEnsembleScratch(members);
    return {
      bags,
      logits: logitsOf(bags, (ids, out) => ensembleLogits(members, ids, out, scratch), dataset.labels.length),
    };
  };
  const studentVal = logitsOn(dataset.val, studentOnnx, student.featurizer);
  const { temperature, routing, fit } = teacher
    ? calibrateAgainst(
        studentVal,
        logitsOn(dataset.val, teacher.onnx, teacher.manifest.featurizer).logits,
        options,
      )
    : fitOnTeacherAnswers(
        {
          logits: studentVal.logits,
          teacherLabel: studentVal.bags.labels,
          weight: remoteOf(inputs).heldOutWeight,
        },
        remoteOf(inputs).goal,
      );

  const draft: ModelManifest = {
    name: options.name,
    version,
    role: "student",
    task: "text-classification",
    labels: dataset.labels,
    outOfScopeLabel: dataset.outOfScopeLabel,
    featurizer: student.featurizer,
    onnx: onnxSpec(STUDENT_FILE, studentOnnx, options.student, dataset.labels.length),
    calibration: { method: "temperature", temperature, fittedOn: split.fit },
    routing,
    evaluation: placeholderEvaluation(split.test),
    training: {
      dataset: dataset.name,
      source: dataset.source,
      sizes: { train: dataset.train.length, val: dataset.val.length, test: dataset.test.length },
      seed: options.seed,
      distillation: { temperature: options.kd.temperature, alpha: options.kd.alpha },
      augment: options.augment,
      // Where the teacher came from, before the student, in the order manifests always had.
      teacher: inputs.training.teacher,
      student: { recipe: options.student },
      createdAt: new Date().toISOString(),
      ...inputs.training,
      ...(fit ? { routingFit: compactRoutingFit(fit) } : {}),
    },
  };
  const pkg: LoadedPackage = {
    dir: options.out,
    manifest: draft,
    student: studentOnnx,
    ...(teacher ? { teacher } : {}),
  };

  progress.stage(`evaluate: the package as shipped, on the ${split.test} split`);
  // On logged records each counts as 1 / P(logged), so the figures speak for the traffic.
  const weights = teacher ? undefined : remoteOf(inputs).heldOutWeight;
  const { summary, details } = await evaluatePackage(pkg, dataset, weights);
  pkg.manifest = { ...draft, evaluation: evaluationOf(summary, split.test) };
  await writePackage(pkg);
  await writeReport(options.out, summary, details, fit ? [routingFitSection(fit)] : []);
  const seconds = (performance.now() - inputs.started) / 1000;
  return { pkg, summary, details, seconds, ...(fit ? { routingFit: fit } : {}) };
}

function remoteOf(inputs: ShipInputs): RemoteTeacherFit {
  if (!inputs.remote)
    throw new Error("shipStudent: a remote teacher needs its routing goal and logged records");
  return inputs.remote;
}

export function onnxSpec(file: string, bytes: Uint8Array, recipe: ModelRecipe, classes: number): OnnxSpec {
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

/** The split name of a student fitted and evaluated on the held-out slice of logged teacher answers. */
export const HELD_OUT = "held-out";

/** Temperature on the gold labels, routing to keep the local teacher's accuracy (val split). */
function calibrateAgainst(
  studentVal: { bags: { labels: Int32Array }; logits: Float32Array[] },
  teacherVal: readonly Float32Array[],
  options: DistillOptions,
): { temperature: number; routing: RoutingSpec; fit?: undefined } {
  const gold = studentVal.bags.labels;
  const temperature = fitTemperature(studentVal.logits, gold);
  const routing = chooseRouting(studentVal.logits, teacherVal, gold, temperature, options.target);
  return { temperature, routing };
}

function placeholderEvaluation(split: string): ModelManifest["evaluation"] {
  const zero = { accuracy: 0, in_scope_accuracy: 0, oos_recall: null };
  return {
    split,
    n: 0,
    teacher: zero,
    student: { ...zero, ece: 0, ece_uncalibrated: 0 },
    cascade: { teacher_rate: 0, accuracy: 0, retention: 0 },
  };
}

export function evaluationOf(summary: EvalSummary, split = "test"): ModelManifest["evaluation"] {
  const { ece, ece_uncalibrated, accuracy, in_scope_accuracy, oos_recall } = summary.student;
  const w = summary.weighting;
  const interval = (e: Estimate): [number, number] => [e.lo, e.hi];
  const weighting = w && {
    by: "inverse_logged_p" as const,
    effective_n: w.effective_n,
    interval: "wilson-kish-95" as const,
    teacher_rate: interval(w.teacher_rate),
    cascade_accuracy: interval(w.cascade_accuracy),
    student_accuracy: interval(w.student_accuracy),
  };
  return {
    split,
    n: summary.n_test,
    teacher: summary.teacher,
    student: { accuracy, in_scope_accuracy, oos_recall, ece, ece_uncalibrated },
    cascade: {
      teacher_rate: summary.cascade.teacher_rate,
      accuracy: summary.cascade.accuracy,
      retention: summary.cascade.retention,
    },
    ...(weighting ? { weighting } : {}),
  };
}
