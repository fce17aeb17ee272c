import type { Estimate } from "../../core/metrics.ts";

/** The evaluation of one model package on one test split: what `npm run eval -- --json` prints. */
export interface ClassifierFigures {
  accuracy: number;
  in_scope_accuracy: number;
  /** Recall of the out-of-scope label, null when the data set has none. */
  oos_recall: number | null;
}

export interface CurvePoint {
  threshold: number;
  teacher_rate: number;
  accuracy: number;
}

export interface EvalSummary {
  dataset: string;
  n_test: number;
  teacher: ClassifierFigures;
  student: ClassifierFigures & { ece: number; ece_uncalibrated: number; onnx_bytes: number };
  cascade: { score: string; threshold: number; teacher_rate: number; accuracy: number; retention: number };
  curve: CurvePoint[];
  /**
   * Present when the split is weighted logged records (1 / P(logged)): every figure above is weighted,
   * and these are the headline ones with 95% Wilson intervals on the Kish effective sample size.
   */
  weighting?: {
    effective_n: number;
    teacher_rate: Estimate;
    cascade_accuracy: Estimate;
    student_accuracy: Estimate;
  };
}

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean confidence of the answers in the bin (0 when empty). */
  confidence: number;
  /** Share of them that were right (0 when empty). */
  accuracy: number;
}

export interface ClassFigures {
  label: string;
  support: number;
  /** Recall of this label on the test split. */
  recall: number;
  precision: number;
  f1: number;
  /** The label it is most often mistaken for, with the count. */
  confusedWith: { label: string; count: number } | null;
}

/** Everything the report needs beyond the summary. */
export interface EvalDetails {
  modelName: string;
  modelVersion: string;
  reliabilityBefore: ReliabilityBin[];
  reliabilityAfter: ReliabilityBin[];
  /** Worst classes of the student first. */
  classes: ClassFigures[];
  /** Index into summary.curve of the shipped threshold, or -1. */
  chosenIndex: number;
}
