import type { ModelManifest } from "../../core/manifest.ts";
import { confidenceScore } from "../../core/scores.ts";
import { argmax, softmax } from "../../core/softmax.ts";

/**
 * The routing decision as pure functions (docs/architecture.md "The cascade"): calibrated probabilities, the
 * manifest's confidence score, and whether to ask the teacher.
 */
export const TEACHER_MODES = ["auto", "never", "always"] as const;
export type TeacherMode = (typeof TEACHER_MODES)[number];

/** What the student alone says about one text. */
export interface StudentVerdict {
  labelIndex: number;
  label: string;
  /** Calibrated probability of `label`. */
  confidence: number;
  /** The manifest's confidence score (max_prob, margin or entropy) of the calibrated probabilities. */
  score: number;
  /** Calibrated probabilities in label order. */
  probs: Float64Array;
}

/** softmax(logits / T) with the temperature the package was calibrated with. */
export function calibratedProbs(logits: ArrayLike<number>, temperature: number): Float64Array {
  const probs = new Float64Array(logits.length);
  softmax(logits, probs, temperature);
  return probs;
}

type RoutingPart = Pick<ModelManifest, "labels" | "calibration" | "routing">;

export function studentVerdict(logits: ArrayLike<number>, manifest: RoutingPart): StudentVerdict {
  const probs = calibratedProbs(logits, manifest.calibration.temperature);
  const labelIndex = argmax(probs);
  return {
    labelIndex,
    label: manifest.labels[labelIndex]!,
    confidence: probs[labelIndex]!,
    score: confidenceScore(manifest.routing.score, probs),
    probs,
  };
}

/**
 * The threshold in force: the request's override when given (its bounds are checked by the request
 * schema, so out-of-range values never get here), else the one the package was shipped with.
 */
export function effectiveThreshold(manifest: Pick<ModelManifest, "routing">, override?: number): number {
  return override ?? manifest.routing.threshold;
}

/** auto: ask when the score is below the threshold (an equal score is confident enough). */
export function shouldAskTeacher(mode: TeacherMode, score: number, threshold: number): boolean {
  switch (mode) {
    case "never":
      return false;
    case "always":
      return true;
    case "auto":
      return score < threshold;
  }
}
