import type { RoutingSpec } from "../../core/manifest.ts";
import { confidenceScore, SCORE_KINDS, type ScoreKind } from "../../core/scores.ts";
import { argmax, softmax } from "../../core/softmax.ts";
import {
  chooseOperatingPoint,
  type OperatingPoint,
  type RoutingTarget,
  sweepThresholds,
} from "./threshold.ts";

/**
 * Chooses the routing rule on validation data: for every score kind, sweep its thresholds over the
 * calibrated student probabilities, then take the kind and threshold that meet the target.
 */
export function chooseRouting(
  studentLogits: readonly Float32Array[],
  teacherLogits: readonly Float32Array[],
  gold: Int32Array,
  temperature: number,
  target: RoutingTarget,
): RoutingSpec & { score: ScoreKind } {
  const n = gold.length;
  const studentCorrect = studentLogits.map((z, i) => argmax(z) === gold[i]);
  const teacherCorrect = teacherLogits.map((z, i) => argmax(z) === gold[i]);
  const teacherAccuracy = teacherCorrect.filter(Boolean).length / Math.max(1, n);
  const probs = new Float64Array(studentLogits[0]?.length ?? 0);
  const scores = Object.fromEntries(SCORE_KINDS.map((k) => [k, new Float64Array(n)])) as Record<
    ScoreKind,
    Float64Array
  >;
  studentLogits.forEach((z, i) => {
    softmax(z, probs, temperature);
    for (const kind of SCORE_KINDS) scores[kind][i] = confidenceScore(kind, probs);
  });
  const sweeps = Object.fromEntries(
    SCORE_KINDS.map((k) => [k, sweepThresholds(scores[k], studentCorrect, teacherCorrect)]),
  ) as Record<ScoreKind, OperatingPoint[]>;
  const choice = chooseOperatingPoint(sweeps, teacherAccuracy, target);
  return {
    score: choice.score,
    threshold: choice.point.threshold,
    target,
    validation: {
      teacher_rate: choice.point.teacher_rate,
      accuracy: choice.point.accuracy,
      retention: teacherAccuracy > 0 ? choice.point.accuracy / teacherAccuracy : 0,
    },
  };
}
