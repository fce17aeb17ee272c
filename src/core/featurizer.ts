import { z } from "zod";
import { fmix32, fnvCodePoint, fnvInit } from "./hash.ts";

/**
 * Hashed n-gram featuriser shared by the trainer and the Worker. Every parameter that changes the
 * ids lives in this config, and the config lives in the model manifest, so serving cannot drift
 * from training.
 */
export const FeaturizerConfig = z
  .object({
    kind: z.literal("hashed-ngrams"),
    version: z.literal(1),
    normalization: z.enum(["NFKC", "NFC", "none"]),
    lowercase: z.boolean(),
    /** Word n-gram orders to emit, e.g. [1, 2]. */
    wordNgrams: z.array(z.number().int().min(1).max(4)).min(1),
    /** Character n-gram range over each word wrapped in "<" and ">", or null for none. */
    charNgrams: z
      .object({ min: z.number().int().min(1).max(8), max: z.number().int().min(1).max(8) })
      .refine((r) => r.min <= r.max, "charNgrams.min must not exceed charNgrams.max")
      .nullable(),
    buckets: z
      .number()
      .int()
      .min(2)
      .max(1 << 24),
    seed: z.number().int().min(0).max(0xffffffff),
    /** Text is cut to this many code points after normalisation. */
    maxChars: z.number().int().min(1),
    /** At most this many ids are emitted (words first, then bigrams, then character n-grams). */
    maxFeatures: z.number().int().min(1),
  })
  .strict();
export type FeaturizerConfig = z.infer<typeof FeaturizerConfig>;

// Each feature kind hashes with its own seed offset so "ab" the word and "ab" the char-gram differ.
const WORD_SEED = 0x9e3779b9;
const CHAR_SEED = 0x85ebca6b;
const SEPARATOR = 0x20;

// A token is a run of letters, digits and marks, or any single other non-space symbol (emoji, "?").
const TOKEN = /[\p{L}\p{N}\p{M}]+|[^\s\p{L}\p{N}\p{M}]/gu;

export function normalizeText(
  text: string,
  config: Pick<FeaturizerConfig, "normalization" | "lowercase">,
): string {
  let t = config.normalization === "none" ? text : text.normalize(config.normalization);
  if (config.lowercase) t = t.toLowerCase();
  return t.replace(/\s+/gu, " ").trim();
}

/** Normalises, cuts to maxChars code points and splits into tokens (each an array of code points). */
export function tokenize(text: string, config: FeaturizerConfig): number[][] {
  const normalized = normalizeText(text, config);
  const cut = Array.from(normalized).slice(0, config.maxChars).join("");
  const tokens: number[][] = [];
  for (const match of cut.matchAll(TOKEN)) {
    tokens.push(Array.from(match[0], (ch) => ch.codePointAt(0)!));
  }
  return tokens;
}

function hashCodePoints(h: number, cps: readonly number[], from = 0, to = cps.length): number {
  for (let i = from; i < to; i++) h = fnvCodePoint(h, cps[i]!);
  return h;
}

/**
 * Walks the features of a tokenised text in their fixed order (word n-grams by order, then character
 * n-grams of each "<word>"), calling `visit` with each hash until it returns false. For a word n-gram,
 * `units` is the token list and [from, to) the tokens; for a character n-gram, `units` is one wrapped
 * token's code points and [from, to) the characters. featurize() and featurizeNamed() share this walk,
 * so the ids of an explanation are the served ids by construction.
 */
type Visit = (
  hash: number,
  kind: "word" | "char",
  units: readonly (readonly number[] | number)[],
  from: number,
  to: number,
) => boolean;

function walkFeatures(tokens: readonly number[][], config: FeaturizerConfig, visit: Visit): void {
  for (const n of config.wordNgrams) {
    const seed = fnvInit((config.seed + WORD_SEED * n) >>> 0);
    for (let start = 0; start + n <= tokens.length; start++) {
      let h = seed;
      for (let k = 0; k < n; k++) {
        if (k > 0) h = fnvCodePoint(h, SEPARATOR);
        h = hashCodePoints(h, tokens[start + k]!);
      }
      if (!visit(h, "word", tokens, start, start + n)) return;
    }
  }
  const range = config.charNgrams;
  if (!range) return;
  const seed = fnvInit((config.seed + CHAR_SEED) >>> 0);
  for (const token of tokens) {
    const wrapped = [0x3c, ...token, 0x3e]; // "<" token ">"
    for (let n = range.min; n <= range.max; n++) {
      for (let start = 0; start + n <= wrapped.length; start++) {
        // A whole-word n-gram is already a word feature.
        if (n === wrapped.length) continue;
        if (!visit(hashCodePoints(seed, wrapped, start, start + n), "char", wrapped, start, start + n))
          return;
      }
    }
  }
}

/** Text → feature ids in [0, buckets). Duplicates are kept: the model pools them as counts. */
export function featurize(text: string, config: FeaturizerConfig): Int32Array {
  const ids: number[] = [];
  const { buckets, maxFeatures } = config;
  walkFeatures(tokenize(text, config), config, (h) => {
    ids.push(fmix32(h) % buckets);
    return ids.length < maxFeatures;
  });
  return Int32Array.from(ids);
}

/** One feature as a person reads it: a word n-gram ("credit", "credit score") or a char n-gram ("<cre"). */
export interface FeatureName {
  kind: "word" | "char";
  text: string;
}

export interface NamedFeatures {
  /** Exactly featurize(text, config). */
  ids: Int32Array;
  /** names[i] is the n-gram that hashed to ids[i]. */
  names: FeatureName[];
}

/**
 * featurize() that also says which n-gram produced each id, for explanations. It is a second walk in
 * the same order rather than a change to featurize(), so the serving hot path never builds strings;
 * src/core/featurizer-named.test.ts proves both give identical ids.
 */
export function featurizeNamed(text: string, config: FeaturizerConfig): NamedFeatures {
  const ids: number[] = [];
  const names: FeatureName[] = [];
  const { buckets, maxFeatures } = config;
  walkFeatures(tokenize(text, config), config, (h, kind, units, from, to) => {
    ids.push(fmix32(h) % buckets);
    const slice = units.slice(from, to);
    const text =
      kind === "word"
        ? (slice as number[][]).map((token) => String.fromCodePoint(...token)).join(" ")
        : String.fromCodePoint(...(slice as number[]));
    names.push({ kind, text });
    return ids.length < maxFeatures;
  });
  return { ids: Int32Array.from(ids), names };
}
