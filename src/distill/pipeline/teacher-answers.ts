import type { RoutingSpec } from "../../core/manifest.ts";
import { chooseRouting } from "../calibrate/routing.ts";
import { fitTemperature } from "../calibrate/temperature.ts";
import type { RoutingTarget } from "../calibrate/threshold.ts";

/**
 * Calibration and routing against a remote teacher known only by its logged answers: the held-out
 * slice's labels are what the teacher said, so "accuracy" is agreement with the teacher and the teacher
 * itself is always right.
 */

/** Logits whose argmax is `label`: the teacher as its answer alone, wherever logits are expected. */
export function answerLogits(label: number, classes: number): Float32Array {
  const z = new Float32Array(classes).fill(-1e4);
  z[label] = 0;
  return z;
}

/**
 * Temperature and routing rule fitted on the held-out slice against the teacher's answers. The one
 * place the fit is made, so an inverse-probability-weighted fit can replace it.
 */
export function fitOnTeacherAnswers(
  studentLogits: readonly Float32Array[],
  teacherLabels: Int32Array,
  target: RoutingTarget,
): { temperature: number; routing: RoutingSpec } {
  const classes = studentLogits[0]?.length ?? 0;
  const temperature = fitTemperature(studentLogits, teacherLabels);
  const teacherLogits = Array.from(teacherLabels, (label) => answerLogits(label, classes));
  const routing = chooseRouting(studentLogits, teacherLogits, teacherLabels, temperature, target);
  return { temperature, routing };
}
