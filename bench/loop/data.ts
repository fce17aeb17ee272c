import { mulberry32, shuffleInPlace } from "../../src/core/random.ts";
import { type Dataset, loadDataset, stratifiedSplit } from "../../src/distill/data/index.ts";

export interface LoopData {
  /** The base data of every round: a stratified share of CLINC150's training texts, its val and test. */
  dataset: Dataset;
  /** The rest of the training texts, shuffled: the traffic streamed through the gateway (labels unused). */
  stream: string[];
}

/**
 * CLINC150 as the loop uses it. The published val and test splits stay whole: val calibrates and
 * routes every round's student, test measures it, and neither is ever streamed (nor could it be learnt
 * from: the merge drops logged texts of those splits).
 */
export async function loopData(file: string, fraction: number, seed: number): Promise<LoopData> {
  const full = await loadDataset({ data: file, seed });
  const { held, keep } = stratifiedSplit(full.train, fraction, seed);
  const stream = keep.map((e) => e.text);
  // CLINC150's training file is grouped by intent: unshuffled, the stream would be one intent at a time.
  shuffleInPlace(stream, mulberry32(seed ^ 0x5eed));
  return {
    dataset: {
      ...full,
      train: held,
      source: `${full.source}; train: stratified ${fraction} of the published train split, seed ${seed}`,
    },
    stream,
  };
}
