import { DataError } from "./errors.ts";
import type { Example, Splits } from "./types.ts";

/**
 * The label list of a data set: sorted by code unit (locale-independent, so the class ids a model
 * is trained with are the same on every machine), with the out-of-scope label last, where CLINC150
 * results conventionally put it.
 */
export function labelList(train: readonly Example[], outOfScopeLabel: string | null): string[] {
  const labels = [...new Set(train.map((example) => example.label))].sort();
  if (outOfScopeLabel === null || !labels.includes(outOfScopeLabel)) return labels;
  return [...labels.filter((label) => label !== outOfScopeLabel), outOfScopeLabel];
}

/**
 * Rejects a val/test label that train never shows: the model could not predict it, so its score
 * would silently be zero. `files` names where each split came from, for the message.
 */
export function checkHeldOutLabels(splits: Splits, files: { val: string; test: string }): void {
  const known = new Set(splits.train.map((example) => example.label));
  for (const split of ["val", "test"] as const) {
    const unknown = [...new Set(splits[split].map((example) => example.label))].filter((l) => !known.has(l));
    if (unknown.length > 0) {
      const list = unknown
        .sort()
        .map((label) => `"${label}"`)
        .join(", ");
      throw new DataError(files[split], null, `${split} has label(s) ${list} that never occur in train`);
    }
  }
}
