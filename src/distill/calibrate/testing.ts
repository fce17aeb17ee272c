import { mulberry32 } from "../../core/random.ts";
import type { LoggedOutputs } from "./logged-outputs.ts";

/** Test helpers: synthetic student outputs with known teacher answers. */

/**
 * A probability vector over `classes` with `top` on class `label`, `runnerUp` on the next class and the
 * rest spread evenly over the others.
 */
export function probsOf(label: number, top: number, runnerUp: number, classes: number): Float64Array {
  const p = new Float64Array(classes).fill((1 - top - runnerUp) / (classes - 2));
  p[label] = top;
  p[(label + 1) % classes] = runnerUp;
  return p;
}

/** One record: the student answers class 0; the teacher says 0 when they agree, else 1. */
export interface SyntheticRecord {
  top: number;
  runnerUp: number;
  agrees: boolean;
  weight: number;
}

export function outputsOf(records: readonly SyntheticRecord[], classes = 5): LoggedOutputs {
  return {
    probs: records.map((r) => probsOf(0, r.top, r.runnerUp, classes)),
    teacherLabel: Int32Array.from(records, (r) => (r.agrees ? 0 : 1)),
    weight: Float64Array.from(records, (r) => r.weight),
  };
}

/** A calibrated student: it agrees with the teacher with probability equal to its top probability. */
export function calibratedRecords(n: number, seed: number, weightOf: (top: number) => number = () => 1) {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (): SyntheticRecord => {
    const top = 0.3 + 0.7 * rng();
    // The runner-up stays below the top: the student's answer is always class 0.
    const runnerUp = Math.min((1 - top) * (0.3 + 0.5 * rng()), 0.9 * top);
    return { top, runnerUp, agrees: rng() < top, weight: weightOf(top) };
  });
}
