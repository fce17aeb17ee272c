import { normalizeText } from "../../core/featurizer.ts";
import { hashString } from "../../core/hash.ts";
import type { Example, Splits } from "./types.ts";

/**
 * The text as the split sees it: NFKC, lower case, runs of white space collapsed, trimmed. Texts
 * that differ only in case or spacing are near-duplicates and must not straddle train and test.
 */
export function normaliseForSplit(text: string): string {
  return normalizeText(text, { normalization: "NFKC", lowercase: true });
}

/** Bucket 0–9 of a text: core/hash's FNV-1a with murmur3's finaliser, whose low bits are well mixed. */
export function splitBucket(text: string): number {
  return hashString(normaliseForSplit(text)) % 10;
}

export const HASH_SPLIT_DESCRIPTION =
  "split by hash of the normalised text (NFKC, lower case, white space collapsed; FNV-1a + fmix32, " +
  "bucket = hash mod 10): buckets 0-1 test, 2 val, 3-9 train";

/**
 * A split that depends on nothing but each text: no seed, no file order. Duplicated messages
 * (common in SMS spam) always land in the same split, so the test set never repeats training data.
 */
export function hashSplit(examples: readonly Example[]): Splits {
  const splits: Splits = { train: [], val: [], test: [] };
  for (const example of examples) {
    const bucket = splitBucket(example.text);
    (bucket < 2 ? splits.test : bucket === 2 ? splits.val : splits.train).push(example);
  }
  return splits;
}
