import { type FeaturizerConfig, normalizeText } from "../../core/featurizer.ts";
import { type FeedbackRecord, latestLabels } from "../../core/feedback.ts";
import { type HardExampleRecord, type HardExampleRoute, weightOf } from "../../core/hard-example.ts";
import type { Dataset } from "../data/index.ts";

/**
 * A logged hard example turned into a training example: the teacher's answer is its target, unless a
 * client's feedback gave the text's true label, which outranks the teacher's ("feedback": a text only
 * feedback named).
 */
export interface LoggedExample {
  id: string;
  text: string;
  route: HardExampleRoute | "feedback";
  /** Index of the feedback's label, else the teacher's: the hard label of the CE term. */
  label: number;
  /** The teacher's distribution in the model's label order (a one-hot when it logged no probs, or of the feedback label). */
  target: Float32Array;
  /** The teacher logged its distribution (false: target is the one-hot of its label). */
  soft: boolean;
  /** Loss weight. Every route weighs 1: audit records are a random sample, the others the hard cases. */
  weight: number;
  /** How much of the traffic it speaks for, 1 / P(logged) (core/hard-example.ts weightOf): for estimates. */
  trafficWeight: number;
}

export interface MergeStats {
  records: number;
  used: number;
  byRoute: Record<HardExampleRoute, number>;
  /** Same record id more than once: the newest record with a teacher answer is kept. */
  duplicateIds: number;
  /** Text already in the base training data: the gold-labelled base example wins. */
  inBaseTrain: number;
  /** Text of the validation or test split: never trained on, or the evaluation would no longer be held out. */
  heldOut: number;
  /** Degraded (or other) records with no teacher answer: nothing to learn from. */
  noTeacher: number;
  /** Teacher label outside the model's label set. */
  unknownLabel: number;
  /** Used with a one-hot of the teacher's label: no probs, or probs that did not fit the label set. */
  oneHot: number;
  /** Feedback (core/feedback.ts), the newest per text: its label is the target wherever it is used. */
  feedback: FeedbackStats;
}

export interface FeedbackStats {
  /** Feedback records read (the newest per text counts). */
  records: number;
  /** Hard examples whose target became the feedback label, and of those where the teacher said otherwise. */
  relabelled: number;
  overruled: number;
  /** Texts only feedback named, added as examples. */
  added: number;
  /** Feedback not used: in the base data or val/test, or a label outside the label set. */
  skipped: number;
}

export interface Merged {
  examples: LoggedExample[];
  stats: MergeStats;
}

/**
 * Merges logged records with a data set's splits (see MergeStats for every rule). Texts are compared
 * after the featuriser's normalisation, the same one the gateway hashes into the record id, so
 * "Hello  World" and "hello world" count as one text.
 */
export function mergeHardExamples(
  dataset: Pick<Dataset, "train" | "val" | "test">,
  labels: readonly string[],
  records: Iterable<HardExampleRecord>,
  normalization: Pick<FeaturizerConfig, "normalization" | "lowercase">,
  feedback: Iterable<FeedbackRecord> = [],
): Merged {
  const norm = (text: string) => normalizeText(text, normalization);
  const baseTrain = new Set(dataset.train.map((e) => norm(e.text)));
  const heldOut = new Set([...dataset.val, ...dataset.test].map((e) => norm(e.text)));
  const labelIndex = new Map(labels.map((label, i) => [label, i]));
  const stats: MergeStats = {
    records: 0,
    used: 0,
    byRoute: { teacher: 0, degraded: 0, cache: 0, audit: 0 },
    duplicateIds: 0,
    inBaseTrain: 0,
    heldOut: 0,
    noTeacher: 0,
    unknownLabel: 0,
    oneHot: 0,
    feedback: { records: 0, relabelled: 0, overruled: 0, added: 0, skipped: 0 },
  };
  const truth = latestLabels(feedback);
  stats.feedback.records = truth.size;

  const newest = new Map<string, HardExampleRecord>();
  for (const record of records) {
    stats.records++;
    const seen = newest.get(record.id);
    if (seen) {
      stats.duplicateIds++;
      if (!preferred(record, seen)) continue;
    }
    newest.set(record.id, record);
  }

  const examples: LoggedExample[] = [];
  for (const record of newest.values()) {
    const text = norm(record.text);
    const given = truth.get(record.id);
    if (given) {
      // Used here or nowhere: the feedback's label replaces the teacher's answer.
      truth.delete(record.id);
      const example = feedbackExample(given, text);
      if (example === null) continue;
      stats.used++;
      stats.byRoute[record.route]++;
      stats.feedback.relabelled++;
      if (record.teacher?.label !== given.label) stats.feedback.overruled++;
      examples.push({ ...example, id: record.id, route: record.route, trafficWeight: weightOf(record) });
      continue;
    }
    if (record.teacher === null) {
      stats.noTeacher++;
      continue;
    }
    if (baseTrain.has(text)) {
      stats.inBaseTrain++;
      continue;
    }
    if (heldOut.has(text)) {
      stats.heldOut++;
      continue;
    }
    const label = labelIndex.get(record.teacher.label);
    if (label === undefined) {
      stats.unknownLabel++;
      continue;
    }
    let target = distribution(record.teacher.probs, labels.length);
    const soft = target !== null;
    if (target === null) {
      stats.oneHot++;
      target = new Float32Array(labels.length);
      target[label] = 1;
    }
    stats.used++;
    stats.byRoute[record.route]++;
    examples.push({
      id: record.id,
      text: record.text,
      route: record.route,
      label,
      target,
      soft,
      weight: 1,
      trafficWeight: weightOf(record),
    });
  }
  // Texts only feedback named: one-hot examples of their true label.
  for (const given of truth.values()) {
    const example = feedbackExample(given, norm(given.text));
    if (example === null) continue;
    stats.used++;
    stats.feedback.added++;
    examples.push(example);
  }
  // Record order from the gateway is arbitrary; sorting by id makes training independent of it.
  examples.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { examples, stats };

  /** A feedback label as a one-hot example, or null (counted) when the text or the label may not be used. */
  function feedbackExample(given: FeedbackRecord, text: string): LoggedExample | null {
    const label = labelIndex.get(given.label);
    if (baseTrain.has(text) || heldOut.has(text) || label === undefined) {
      stats.feedback.skipped++;
      return null;
    }
    const target = new Float32Array(labels.length);
    target[label] = 1;
    const id = given.example_id;
    return {
      id,
      text: given.text,
      route: "feedback",
      label,
      target,
      soft: false,
      weight: 1,
      trafficWeight: 1,
    };
  }
}

/** Of two records of one text, one with a teacher answer beats one without; then the newer wins. */
function preferred(a: HardExampleRecord, b: HardExampleRecord): boolean {
  if ((a.teacher === null) !== (b.teacher === null)) return a.teacher !== null;
  return Date.parse(a.ts) > Date.parse(b.ts);
}

/** The logged probabilities renormalised, or null when absent or not one per label. */
function distribution(probs: readonly number[] | null | undefined, classes: number): Float32Array | null {
  if (!probs || probs.length !== classes) return null;
  const sum = probs.reduce((s, p) => s + p, 0);
  if (!(sum > 0)) return null;
  return Float32Array.from(probs, (p) => p / sum);
}

/** Soft targets as logits for the KD loss: softmax(log p / T) is p sharpened or softened by T. */
export function targetLogits(target: Float32Array): Float32Array {
  // A floor keeps exact zeros finite; e^-16 is far below anything the loss can resolve.
  return Float32Array.from(target, (p) => Math.log(Math.max(p, 1e-7)));
}
