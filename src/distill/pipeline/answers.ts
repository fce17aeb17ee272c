import { type FeaturizerConfig, normalizeText } from "../../core/featurizer.ts";
import type { HardExampleRecord } from "../../core/hard-example.ts";
import { isHeldOut } from "../../core/holdout.ts";
import type { Example } from "../data/index.ts";
import { type LoggedExample, type MergeStats, mergeHardExamples } from "./merge.ts";

/**
 * The training and held-out data of a student learnt from a remote teacher's logged answers alone.
 * Records are deduplicated and turned into targets as merge.ts does; then a stable hash of the record
 * id (core/holdout.ts) puts each in the held-out slice or the training set, and nothing of the slice
 * is trained on: not its records, nor another record or a labelled example with the same text.
 */
export interface AnswerSetOptions {
  labels: readonly string[];
  /**
   * Whether logged probabilities are in `labels` order. False when the label set was read off the
   * records themselves: their probs follow an order the toolkit cannot know, so only labels are used.
   */
  trustProbs: boolean;
  /** Share of records held out (core/holdout.ts). */
  holdout: number;
  normalization: Pick<FeaturizerConfig, "normalization" | "lowercase">;
  /** The user's labelled examples (gold labels), added to training; none when they have no data. */
  labelled: readonly Example[];
}

export interface AnswerStats extends MergeStats {
  /** Logged records trained on, and how many of them with the teacher's probabilities as target. */
  trained: number;
  trainedSoft: number;
  /** Records in the held-out slice. */
  heldOutSlice: number;
  /** Training records dropped because a held-out record has the same normalised text. */
  sameTextAsHeldOut: number;
  /** Training records whose text is a labelled example: its gold label wins. */
  inLabelled: number;
  /** Labelled examples trained on, and those dropped for being a held-out text. */
  labelled: number;
  labelledHeldOut: number;
}

export interface HeldOutAnswer extends Example {
  id: string;
  weight: number;
}

export interface AnswerSet {
  /** Logged records trained on, with the teacher's answer as target. */
  train: LoggedExample[];
  /** The held-out slice: each text with the teacher's label and its weight 1 / P(logged). */
  heldOut: HeldOutAnswer[];
  /** Labelled examples trained on (gold). */
  labelled: Example[];
  stats: AnswerStats;
}

export function answerSet(records: readonly HardExampleRecord[], options: AnswerSetOptions): AnswerSet {
  const norm = (text: string) => normalizeText(text, options.normalization);
  const usable = options.trustProbs ? records : records.map(withoutProbs);
  const merged = mergeHardExamples({ train: [], val: [], test: [] }, options.labels, usable, {
    normalization: options.normalization.normalization,
    lowercase: options.normalization.lowercase,
  });
  const slice = merged.examples.filter((e) => isHeldOut(e.id, options.holdout));
  const sliceTexts = new Set(slice.map((e) => norm(e.text)));
  const labelled = options.labelled.filter((e) => !sliceTexts.has(norm(e.text)));
  const labelledTexts = new Set(labelled.map((e) => norm(e.text)));
  const stats: AnswerStats = {
    ...merged.stats,
    trained: 0,
    trainedSoft: 0,
    heldOutSlice: slice.length,
    sameTextAsHeldOut: 0,
    inLabelled: 0,
    labelled: labelled.length,
    labelledHeldOut: options.labelled.length - labelled.length,
  };
  const train: LoggedExample[] = [];
  for (const example of merged.examples) {
    if (isHeldOut(example.id, options.holdout)) continue;
    const text = norm(example.text);
    if (sliceTexts.has(text)) stats.sameTextAsHeldOut++;
    else if (labelledTexts.has(text)) stats.inLabelled++;
    else train.push(example);
  }
  stats.trained = train.length;
  stats.trainedSoft = train.filter((e) => e.soft).length;
  const heldOut = slice.map((e) => ({
    id: e.id,
    text: e.text,
    label: options.labels[e.label]!,
    weight: e.trafficWeight,
  }));
  return { train, heldOut, labelled, stats };
}

function withoutProbs(record: HardExampleRecord): HardExampleRecord {
  return record.teacher ? { ...record, teacher: { ...record.teacher, probs: null } } : record;
}

export function describeAnswers(s: AnswerStats): string {
  return [
    `teacher answers: ${s.records} records, ${s.used} usable (${s.noTeacher} without a teacher answer,`,
    `${s.duplicateIds} duplicate ids, ${s.unknownLabel} with an unknown label); held out ${s.heldOutSlice},`,
    `trained on ${s.trained} (${s.trainedSoft} with the teacher's probabilities, the others its label;`,
    `${s.sameTextAsHeldOut} dropped as a held-out text, ${s.inLabelled} as a labelled text);`,
    `labelled examples: ${s.labelled} (${s.labelledHeldOut} dropped as held-out texts)`,
  ].join(" ");
}
