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

/** Bags packed into one buffer, so they cross to a worker thread in a single transfer. */
export interface PackedBags {
  ids: Int32Array;
  offsets: Int32Array;
}

export function packBags(bags: readonly Int32Array[]): PackedBags {
  const offsets = new Int32Array(bags.length + 1);
  for (let i = 0; i < bags.length; i++) offsets[i + 1] = offsets[i]! + bags[i]!.length;
  const ids = new Int32Array(offsets[bags.length]!);
  for (let i = 0; i < bags.length; i++) ids.set(bags[i]!, offsets[i]!);
  return { ids, offsets };
}

export function unpackBags(packed: PackedBags): Int32Array[] {
  const { ids, offsets } = packed;
  return Array.from({ length: offsets.length - 1 }, (_, i) => ids.subarray(offsets[i]!, offsets[i + 1]!));
}
