import type { RoutingSpec, RoutingTarget } from "../../core/manifest.ts";
import { softmax } from "../../core/softmax.ts";
import { fitRoutingToTeacher, type RoutingFit, type RoutingGoal } from "../calibrate/agreement-fit.ts";
import { crossFitDeferral } from "../calibrate/cross-fit.ts";
import type { LoggedOutputs } from "../calibrate/logged-outputs.ts";
import { fitTemperature } from "../calibrate/temperature.ts";

/**
 * Calibration and routing against a remote teacher known only by its logged answers: the held-out
 * slice's labels are what the teacher said, so "accuracy" is agreement with the teacher and the teacher
 * itself is always right. Every record weighs 1 / P(logged), so the fit speaks for the traffic.
 */

/** Logits whose argmax is `label`: the teacher as its answer alone, wherever logits are expected. */
export function answerLogits(label: number, classes: number): Float32Array {
  const z = new Float32Array(classes).fill(-1e4);
  z[label] = 0;
  return z;
}

/** The student's logits on logged records, with the teacher's label index and the record's weight. */
export interface LoggedLogits {
  logits: readonly Float32Array[];
  teacherLabel: Int32Array;
  weight: Float64Array;
}

export interface TeacherAnswerFit {
  temperature: number;
  routing: RoutingSpec;
  /** Every score kind side by side on the slice (the table the CLI and report.md show). */
  fit: RoutingFit;
}

/**
 * Temperature (weighted NLL) and routing rule fitted on the held-out slice against the teacher's
 * answers. The learned deferral is cross-fitted on the slice (calibrate/cross-fit.ts: the student is
 * over-confident on its own training records), judged by its out-of-fold scores; the best kind on the
 * slice is shipped.
 */
export function fitOnTeacherAnswers(heldOut: LoggedLogits, goal: RoutingGoal): TeacherAnswerFit {
  const temperature = fitTemperature(heldOut.logits, heldOut.teacherLabel, undefined, 60, heldOut.weight);
  const calibrated = (set: LoggedLogits): LoggedOutputs => ({
    probs: set.logits.map((z) => {
      const p = new Float64Array(z.length);
      softmax(z, p, temperature);
      return p;
    }),
    teacherLabel: set.teacherLabel,
    weight: set.weight,
  });
  const slice = calibrated(heldOut);
  const fit = fitRoutingToTeacher(slice, goal, crossFitDeferral(slice));
  if (fit.rule === null || fit.best === null)
    throw new Error("no held-out teacher answers to fit the routing threshold on");
  const agreement = fit.best.agreement.value;
  const routing: RoutingSpec = {
    ...fit.rule,
    target: targetOf(goal),
    validation: { teacher_rate: fit.best.teacherRate.value, accuracy: agreement, retention: agreement },
  };
  return { temperature, routing, fit };
}

/** The manifest's record of the goal: agreement when one was asked for, else the teacher budget. */
export function targetOf(goal: RoutingGoal): RoutingTarget {
  return goal.keepAgreement !== undefined
    ? { kind: "agreement", value: goal.keepAgreement }
    : { kind: "teacher_rate", value: goal.maxTeacherRate ?? 1 };
}
