import { type FeaturizerConfig, featurize } from "../../core/featurizer.ts";
import type { Example } from "../data/index.ts";

/** A split turned into what the trainer reads: bags of feature ids and label indexes. */
export interface EncodedSplit {
  bags: Int32Array[];
  labels: Int32Array;
}

export function encodeSplit(
  examples: readonly Example[],
  labels: readonly string[],
  featurizer: FeaturizerConfig,
): EncodedSplit {
  const index = new Map(labels.map((label, i) => [label, i]));
  return {
    bags: examples.map((e) => featurize(e.text, featurizer)),
    labels: Int32Array.from(examples, (e) => {
      const i = index.get(e.label);
      if (i === undefined) throw new Error(`label "${e.label}" is not in the model's label set`);
      return i;
    }),
  };
}
