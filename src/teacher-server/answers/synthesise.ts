import { normalizeText } from "../../core/featurizer.ts";
import { hashString } from "../../core/hash.ts";
import type { Example } from "../../distill/data/index.ts";
import type { Prediction, TeacherModel } from "../model.ts";
import type { AnswerLine } from "./file.ts";

/**
 * Synthesises the answers of a teacher of a chosen accuracy on a labelled data set: a stand-in for an
 * accurate LLM, replayed by `npm run teacher -- --answers`.
 *
 * - Which texts are wrong: a stable hash of the normalised text (seeded) orders the distinct texts;
 *   those below a cutoff are answered wrongly. The cutoff is set so that the share of the data set's
 *   examples answered wrongly is as close to 1 − accuracy as whole texts allow. So the same text always
 *   gets the same answer, and the wrong texts at 97% are among the wrong texts at 85%.
 * - What a wrong answer is: a plausible confusion, not noise: the label the local (n-gram) teacher
 *   ranks highest after gold — its runner-up when it ranks gold first, its own answer when it is wrong
 *   itself.
 * - Probabilities: peaked on the answer, hashed per text in [0.80, 0.99] when right and [0.55, 0.85]
 *   when wrong (an LLM is less sure when it errs), with most of the rest on the other candidate (the
 *   model's best other label when right, gold when wrong) and the remainder spread over the others.
 */
export interface SynthesisOptions {
  /** Share of the examples answered with their gold label, in (0, 1]. */
  accuracy: number;
  seed: number;
  /** Texts per model batch. */
  batchSize?: number;
}

export interface SynthesisStats {
  /** Examples in the data set, and distinct texts after normalisation (one answer each). */
  examples: number;
  texts: number;
  /** Share of the examples whose answer is their gold label. */
  accuracy: number;
  /** Distinct texts answered wrongly. */
  wrongTexts: number;
  /** Among the wrong texts: the answer is the model's second-ranked label / its first-ranked one. */
  runnerUpShare: number;
  modelAnswerShare: number;
}

export interface SynthesisedAnswers {
  lines: AnswerLine[];
  stats: SynthesisStats;
}

interface Text {
  key: string;
  text: string;
  gold: number;
  examples: number;
  hash: number;
}

const CONFIDENCE_SALT = 0x5bd1e995;
const RIGHT = { min: 0.8, max: 0.99 };
const WRONG = { min: 0.55, max: 0.85 };
/** Share of the mass not on the answer that goes to the other candidate (with more than two labels). */
const SECOND_SHARE = 0.8;

/** Distinct normalised texts in first-seen order; the first example's label is a text's gold. */
function distinctTexts(examples: readonly Example[], model: TeacherModel, seed: number): Text[] {
  const labelIndex = new Map(model.labels.map((label, index) => [label, index]));
  const byKey = new Map<string, Text>();
  for (const example of examples) {
    const gold = labelIndex.get(example.label);
    if (gold === undefined)
      throw new Error(
        `label "${example.label}" of the data set is not one of model "${model.name}"'s labels`,
      );
    const key = normalizeText(example.text, model.manifest.featurizer);
    const seen = byKey.get(key);
    if (seen) seen.examples++;
    else byKey.set(key, { key, text: example.text, gold, examples: 1, hash: hashString(key, seed) });
  }
  return [...byKey.values()];
}

/** The texts answered wrongly: the prefix in hash order that brings the error count closest to `errors`. */
function wrongTexts(texts: readonly Text[], errors: number): Set<Text> {
  const ordered = [...texts].sort((a, b) => a.hash - b.hash || (a.key < b.key ? -1 : 1));
  const wrong = new Set<Text>();
  let count = 0;
  for (const text of ordered) {
    if (Math.abs(count + text.examples - errors) >= Math.abs(count - errors)) break;
    wrong.add(text);
    count += text.examples;
  }
  return wrong;
}

/** What the model makes of a text: its two best labels, and its best one other than gold. */
interface ModelView {
  first: number;
  second: number;
  confusion: number;
}

function viewOf(prediction: Prediction, gold: number): ModelView {
  const ranked = Array.from(prediction.probs.keys()).sort(
    (a, b) => prediction.probs[b]! - prediction.probs[a]! || a - b,
  );
  return { first: ranked[0]!, second: ranked[1]!, confusion: ranked.find((index) => index !== gold)! };
}

/** Runs the model batch by batch, keeping only what the synthesis needs of each answer. */
async function modelViews(model: TeacherModel, texts: readonly Text[], batchSize: number) {
  const views: ModelView[] = [];
  for (let i = 0; i < texts.length; i += batchSize) {
    const batch = texts.slice(i, i + batchSize);
    const predictions = await model.predict(batch.map((t) => t.text));
    views.push(...predictions.map((prediction, k) => viewOf(prediction, batch[k]!.gold)));
  }
  return views;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

function probsOf(text: Text, answer: string, other: string, right: boolean, classes: number, seed: number) {
  const u = hashString(text.key, (seed ^ CONFIDENCE_SALT) >>> 0) / 2 ** 32;
  const range = right ? RIGHT : WRONG;
  const p = round4(range.min + (range.max - range.min) * u);
  const second = round4(classes === 2 ? 1 - p : (1 - p) * SECOND_SHARE);
  return { [answer]: p, [other]: second };
}

export async function synthesiseAnswers(
  examples: readonly Example[],
  model: TeacherModel,
  options: SynthesisOptions,
): Promise<SynthesisedAnswers> {
  if (!(options.accuracy > 0 && options.accuracy <= 1)) throw new Error("accuracy must be in (0, 1]");
  const texts = distinctTexts(examples, model, options.seed);
  const wrong = wrongTexts(texts, (1 - options.accuracy) * examples.length);
  const views = await modelViews(model, texts, options.batchSize ?? 512);
  const { labels } = model;
  const answerOf = new Map<string, number>();
  let runnerUp = 0;
  let modelAnswer = 0;
  const lines = texts.map((text, i): AnswerLine => {
    const view = views[i]!;
    const right = !wrong.has(text);
    const answer = right ? text.gold : view.confusion;
    const other = right ? view.confusion : text.gold;
    if (!right && answer === view.second) runnerUp++;
    if (!right && answer === view.first) modelAnswer++;
    answerOf.set(text.key, answer);
    const probs = probsOf(text, labels[answer]!, labels[other]!, right, labels.length, options.seed);
    return { text: text.text, label: labels[answer]!, probs };
  });
  const correct = examples.filter((e) => {
    const answer = answerOf.get(normalizeText(e.text, model.manifest.featurizer))!;
    return labels[answer] === e.label;
  }).length;
  return {
    lines,
    stats: {
      examples: examples.length,
      texts: texts.length,
      accuracy: examples.length === 0 ? 1 : correct / examples.length,
      wrongTexts: wrong.size,
      runnerUpShare: wrong.size === 0 ? 0 : runnerUp / wrong.size,
      modelAnswerShare: wrong.size === 0 ? 0 : modelAnswer / wrong.size,
    },
  };
}
