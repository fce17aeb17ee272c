import { mulberry32, shuffleInPlace } from "../../core/random.ts";
import type { Example } from "./types.ts";

export interface SplitResult {
  keep: Example[];
  held: Example[];
}

/**
 * Holds out about `fraction` of each label, chosen by a seeded shuffle, so every split sees the
 * label mix of the whole. Each label with at least two examples keeps at least one on each side
 * (so the held-out split can test it and training still sees it); a label with one example stays
 * in `keep`. Both sides keep the input order, which makes diffs between runs easy to read.
 */
export function stratifiedSplit(examples: readonly Example[], fraction: number, seed: number): SplitResult {
  if (!(fraction > 0 && fraction < 1))
    throw new RangeError(`split fraction must be in (0, 1), got ${fraction}`);
  const byLabel = new Map<string, number[]>();
  examples.forEach((example, index) => {
    const indexes = byLabel.get(example.label);
    if (indexes === undefined) byLabel.set(example.label, [index]);
    else indexes.push(index);
  });
  const rng = mulberry32(seed);
  const heldIndexes = new Set<number>();
  // Sorted label order, so the draw does not depend on which label happens to come first in the file.
  for (const label of [...byLabel.keys()].sort()) {
    const indexes = byLabel.get(label)!;
    const n = indexes.length;
    if (n < 2) continue;
    const count = Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
    for (const index of shuffleInPlace(indexes, rng).slice(0, count)) heldIndexes.add(index);
  }
  const keep: Example[] = [];
  const held: Example[] = [];
  examples.forEach((example, index) => {
    (heldIndexes.has(index) ? held : keep).push(example);
  });
  return { keep, held };
}
