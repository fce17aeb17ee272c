import {
  effectiveSampleSize,
  expectedCalibrationError,
  reliabilityBins,
  weightedProportion,
} from "../../core/metrics.ts";
import { type RoutingScoreRule, routingScore } from "../../core/routing-score.ts";
import { argmax, softmax } from "../../core/softmax.ts";
import { sampleCurve, sweepThresholds } from "../calibrate/threshold.ts";
import { classifierFigures, perClassFigures, ratio } from "./figures.ts";
import type { EvalDetails, EvalSummary } from "./types.ts";

export interface EvalInputs {
  dataset: string;
  modelName: string;
  modelVersion: string;
  labels: readonly string[];
  outOfScopeLabel: string | null;
  gold: Int32Array;
  studentLogits: readonly Float32Array[];
  teacherLogits: readonly Float32Array[];
  temperature: number;
  routing: RoutingScoreRule & { threshold: number };
  onnxBytes: number;
  /**
   * 1 / P(logged) per example when the split is logged records (core/hard-example.ts weightOf): every
   * figure is then weighted, so it speaks for the traffic and not the log, and the summary carries
   * Wilson intervals on the Kish effective sample size. Without it every example weighs 1.
   */
  weights?: ArrayLike<number>;
}

export const ECE_BINS = 15;

/** The figures of a student, its teacher and the cascade between them on one labelled split. */
export function evaluate(input: EvalInputs): { summary: EvalSummary; details: EvalDetails } {
  const n = input.gold.length;
  const C = input.labels.length;
  const oosIndex = input.outOfScopeLabel ? input.labels.indexOf(input.outOfScopeLabel) : -1;
  const teacherPred = Int32Array.from(input.teacherLogits, (z) => argmax(z));
  const studentPred = Int32Array.from(input.studentLogits, (z) => argmax(z));
  const raw = new Float64Array(C);
  const calibrated = new Float64Array(C);
  const confRaw = new Float64Array(n);
  const confCal = new Float64Array(n);
  const scores = new Float64Array(n);
  const studentCorrect: boolean[] = [];
  const teacherCorrect: boolean[] = [];
  for (let i = 0; i < n; i++) {
    softmax(input.studentLogits[i]!, raw);
    softmax(input.studentLogits[i]!, calibrated, input.temperature);
    confRaw[i] = raw[studentPred[i]!]!;
    confCal[i] = calibrated[studentPred[i]!]!;
    scores[i] = routingScore(input.routing, calibrated);
    studentCorrect.push(studentPred[i] === input.gold[i]);
    teacherCorrect.push(teacherPred[i] === input.gold[i]);
  }
  const { weights } = input;
  const before = reliabilityBins(confRaw, studentCorrect, ECE_BINS, weights);
  const after = reliabilityBins(confCal, studentCorrect, ECE_BINS, weights);

  let total = 0;
  let escalated = 0;
  let cascadeCorrect = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i]! : 1;
    const toTeacher = scores[i]! < input.routing.threshold;
    total += w;
    if (toTeacher) escalated += w;
    if (toTeacher ? teacherCorrect[i] : studentCorrect[i]) cascadeCorrect += w;
  }
  const teacher = classifierFigures(input.gold, teacherPred, oosIndex, weights);
  const student = classifierFigures(input.gold, studentPred, oosIndex, weights);
  const cascadeAccuracy = ratio(cascadeCorrect, total);
  const teacherRate = ratio(escalated, total);
  const curve = sampleCurve(sweepThresholds(scores, studentCorrect, teacherCorrect, weights));
  const summary: EvalSummary = {
    dataset: input.dataset,
    n_test: n,
    teacher,
    student: {
      ...student,
      ece: expectedCalibrationError(after),
      ece_uncalibrated: expectedCalibrationError(before),
      onnx_bytes: input.onnxBytes,
    },
    cascade: {
      score: input.routing.score,
      threshold: input.routing.threshold,
      teacher_rate: teacherRate,
      accuracy: cascadeAccuracy,
      retention: ratio(cascadeAccuracy, teacher.accuracy),
    },
    curve,
  };
  if (weights) {
    const effectiveN = effectiveSampleSize(weights);
    summary.weighting = {
      effective_n: effectiveN,
      teacher_rate: weightedProportion(teacherRate, effectiveN),
      cascade_accuracy: weightedProportion(cascadeAccuracy, effectiveN),
      student_accuracy: weightedProportion(student.accuracy, effectiveN),
    };
  }
  // The shipped point itself, so the report can mark it exactly.
  const chosen = {
    threshold: input.routing.threshold,
    teacher_rate: summary.cascade.teacher_rate,
    accuracy: cascadeAccuracy,
  };
  curve.push(chosen);
  curve.sort((a, b) => a.teacher_rate - b.teacher_rate || a.threshold - b.threshold);
  const details: EvalDetails = {
    modelName: input.modelName,
    modelVersion: input.modelVersion,
    reliabilityBefore: before,
    reliabilityAfter: after,
    classes: perClassFigures(input.gold, studentPred, input.labels, weights),
    chosenIndex: curve.indexOf(chosen),
  };
  return { summary, details };
}
