import { mulberry32 } from "../../core/random.ts";

/**
 * Transfer-set augmentation for distillation (Tang et al. 2019, "Distilling Task-Specific Knowledge
 * from BERT into Simple Neural Networks"): perturbed copies of the training texts, labelled by the
 * teacher, show the student how the teacher behaves between and around the training points, where
 * its soft labels carry the most information. Two perturbations, on whitespace tokens:
 * - n-gram sampling: keep one random contiguous span of 1–5 words;
 * - word masking: drop each word with probability p, and swap neighbours with probability p.
 */
export interface AugmentOptions {
  copies: number;
  seed: number;
  ngramProbability: number;
  maskProbability: number;
}

export const DEFAULT_AUGMENT: Omit<AugmentOptions, "seed"> = {
  copies: 1,
  ngramProbability: 0.25,
  maskProbability: 0.1,
};

export function augmentTexts(texts: readonly string[], options: AugmentOptions): string[] {
  return augmentWithSources(texts, options).map((copy) => copy.text);
}

/** A perturbed copy and the index of the text it was made from. */
export interface AugmentedCopy {
  text: string;
  source: number;
}

/** augmentTexts with each copy's source, for copies that inherit their source's target. */
export function augmentWithSources(texts: readonly string[], options: AugmentOptions): AugmentedCopy[] {
  const rng = mulberry32(options.seed);
  const out: AugmentedCopy[] = [];
  for (let c = 0; c < options.copies; c++) {
    texts.forEach((text, source) => {
      const words = text.split(/\s+/u).filter((w) => w.length > 0);
      if (words.length < 2) return;
      const copy =
        rng() < options.ngramProbability ? sampleSpan(words, rng) : mask(words, options.maskProbability, rng);
      out.push({ text: copy, source });
    });
  }
  return out;
}

function sampleSpan(words: string[], rng: () => number): string {
  const length = 1 + Math.floor(rng() * Math.min(5, words.length));
  const start = Math.floor(rng() * (words.length - length + 1));
  return words.slice(start, start + length).join(" ");
}

function mask(words: string[], p: number, rng: () => number): string {
  const kept = words.filter(() => rng() >= p);
  if (kept.length === 0) kept.push(words[Math.floor(rng() * words.length)]!);
  for (let i = 0; i + 1 < kept.length; i++) {
    if (rng() < p) [kept[i], kept[i + 1]] = [kept[i + 1]!, kept[i]!];
  }
  return kept.join(" ");
}
