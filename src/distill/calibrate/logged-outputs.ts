import type { RoutingScoreRule } from "../../core/routing-score.ts";
import { routingScore } from "../../core/routing-score.ts";
import { argmax } from "../../core/softmax.ts";

/**
 * One student's outputs on logged records, scored against the real teacher's answers. Every field has
 * one entry per record, in the same order. Records with no teacher answer (a degraded one) cannot be
 * scored and are left out by the caller.
 */
export interface LoggedOutputs {
  /** The student's calibrated probabilities, one [C] vector per record. */
  probs: readonly (Float32Array | Float64Array)[];
  /** The teacher's label index per record. */
  teacherLabel: Int32Array;
  /** Inverse-probability weight per record (core/hard-example.ts weightOf): 1 / P(logged). */
  weight: Float64Array;
}

/** a_i = [argmax p_i = teacher label_i]: 1 where the student's own answer is the teacher's. */
export function studentAgrees(outputs: LoggedOutputs): Uint8Array {
  const agrees = new Uint8Array(outputs.probs.length);
  for (let i = 0; i < agrees.length; i++)
    agrees[i] = argmax(outputs.probs[i]!) === outputs.teacherLabel[i] ? 1 : 0;
  return agrees;
}

/** s_i: the rule's routing score of each record (below the threshold → teacher). */
export function scoresOf(outputs: LoggedOutputs, rule: RoutingScoreRule): Float64Array {
  return Float64Array.from(outputs.probs, (p) => routingScore(rule, p));
}

/** Refuses outputs whose fields disagree in length: a silent misalignment would pair the wrong answers. */
export function checkAligned(outputs: LoggedOutputs, what: string): number {
  const n = outputs.probs.length;
  if (outputs.teacherLabel.length !== n || outputs.weight.length !== n)
    throw new RangeError(
      `${what}: ${n} probability vectors, ${outputs.teacherLabel.length} teacher labels, ${outputs.weight.length} weights`,
    );
  for (let i = 0; i < n; i++)
    if (!(outputs.weight[i]! > 0 && Number.isFinite(outputs.weight[i]!)))
      throw new RangeError(`${what}: weight ${i} is ${outputs.weight[i]}, not a positive number`);
  return n;
}
