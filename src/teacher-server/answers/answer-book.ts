import { type FeaturizerConfig, normalizeText } from "../../core/featurizer.ts";
import { DataError } from "../../distill/data/index.ts";
import type { Prediction } from "../model.ts";
import { completeDistribution, confidentDistribution } from "./distribution.ts";
import type { RecordedAnswer } from "./file.ts";

/** What the book needs of a model: its label order and how its featuriser normalises text. */
export interface AnswerBookModel {
  name: string;
  labels: readonly string[];
  featurizer: Pick<FeaturizerConfig, "normalization" | "lowercase">;
}

interface Entry {
  line: number;
  index: number;
  /** Label index → probability as given (normalised), or null for the confident default. */
  listed: ReadonlyMap<number, number> | null;
}

// Rounding slack when probabilities written with a few decimals are summed.
const SUM_TOLERANCE = 1e-3;

/**
 * Recorded answers of one model, looked up by text after the model's featuriser normalisation (so
 * "What's  the WEATHER" finds "what's the weather"). Built from a parsed answers file; refuses labels
 * the model does not have, probabilities that are not a distribution, an answered label that is not
 * the most probable one, and one text answered two different ways.
 */
export class AnswerBook {
  private constructor(
    private readonly model: AnswerBookModel,
    /** The file the answers came from. */
    readonly file: string,
    private readonly entries: ReadonlyMap<string, Entry>,
  ) {}

  static build(answers: readonly RecordedAnswer[], model: AnswerBookModel, file: string): AnswerBook {
    const indexOf = labelIndexer(model, file);
    const entries = new Map<string, Entry>();
    for (const answer of answers) {
      const index = indexOf(answer.label, answer.line, "");
      const listed = answer.probs && checkedProbs(answer, index, model.labels, file, indexOf);
      const entry: Entry = { line: answer.line, index, listed };
      const key = normalizeText(answer.text, model.featurizer);
      const earlier = entries.get(key);
      if (!earlier) entries.set(key, entry);
      else if (!sameAnswer(earlier, entry)) {
        throw new DataError(
          file,
          answer.line,
          `this text is already answered differently on line ${earlier.line} (texts match after normalisation)`,
        );
      }
    }
    return new AnswerBook(model, file, entries);
  }

  /** How many distinct (normalised) texts have an answer. */
  get size(): number {
    return this.entries.size;
  }

  /** The recorded answer for `text` as a prediction over the model's labels, or null if it has none. */
  lookup(text: string): Prediction | null {
    const entry = this.entries.get(normalizeText(text, this.model.featurizer));
    if (!entry) return null;
    const classes = this.model.labels.length;
    const probs = entry.listed
      ? completeDistribution(classes, entry.listed)
      : confidentDistribution(classes, entry.index);
    return {
      index: entry.index,
      label: this.model.labels[entry.index]!,
      probs,
      logprobs: probs.map(Math.log),
    };
  }
}

/** A label's index in the model's order; an unknown label fails naming the line (and field). */
type IndexOf = (label: string, line: number, field: string) => number;

function labelIndexer(model: AnswerBookModel, file: string): IndexOf {
  const indices = new Map(model.labels.map((label, index) => [label, index]));
  return (label, line, field) => {
    const index = indices.get(label);
    if (index !== undefined) return index;
    const known = `model "${model.name}" has ${labelList(model.labels)}`;
    throw new DataError(file, line, `${field}unknown label "${label}" (${known})`);
  };
}

function labelList(labels: readonly string[]): string {
  const shown = labels.slice(0, 8).map((l) => `"${l}"`);
  return `${labels.length} labels: ${shown.join(", ")}${labels.length > shown.length ? ", …" : ""}`;
}

/** The probabilities of one answer by label index, normalised to sum to 1 where they must. */
function checkedProbs(
  answer: RecordedAnswer,
  answered: number,
  labels: readonly string[],
  file: string,
  indexOf: IndexOf,
): Map<number, number> {
  const listed = new Map<number, number>();
  let sum = 0;
  for (const [name, p] of Object.entries(answer.probs!)) {
    listed.set(indexOf(name, answer.line, "probs: "), p);
    sum += p;
  }
  const fail = (reason: string): never => {
    throw new DataError(file, answer.line, `probs: ${reason}`);
  };
  if (sum > 1 + SUM_TOLERANCE) fail(`they sum to ${round(sum)}, more than 1`);
  const complete = listed.size === labels.length;
  if (complete && sum < 1 - SUM_TOLERANCE) fail(`they list every label but sum to ${round(sum)}, not 1`);
  if (complete || sum > 1) for (const [index, p] of listed) listed.set(index, p / sum);
  const probs = completeDistribution(labels.length, listed);
  const top = probs.reduce((best, p, index) => (p > probs[best]! ? index : best), answered);
  if (top !== answered) {
    fail(
      `the answered label "${labels[answered]}" (p=${round(probs[answered]!)}) must be the most probable,` +
        ` but "${labels[top]}" has p=${round(probs[top]!)}`,
    );
  }
  return listed;
}

function sameAnswer(a: Entry, b: Entry): boolean {
  if (a.index !== b.index) return false;
  if (a.listed === null || b.listed === null) return a.listed === b.listed;
  if (a.listed.size !== b.listed.size) return false;
  for (const [index, p] of a.listed) if (b.listed.get(index) !== p) return false;
  return true;
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
