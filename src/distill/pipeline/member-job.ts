import type { EmbeddingBagWeights } from "../../core/model.ts";
import { forwardLogits } from "../../core/model.ts";
import { argmax } from "../../core/softmax.ts";
import type { Architecture, TrainConfig, TrainSet } from "../train/trainer.ts";
import { type EncodedSplit, type PackedBags, packBags, unpackBags } from "./encode.ts";

/** What a worker thread needs to train one member, in structured-clone-friendly form. */
export interface MemberJob {
  arch: Architecture;
  config: TrainConfig;
  train: { bags: PackedBags; labels: Int32Array; weights: Float32Array | null };
  val: { bags: PackedBags; labels: Int32Array };
}

export type MemberMessage =
  | { type: "epoch"; epoch: number; loss: number; valAccuracy: number }
  | { type: "done"; weights: EmbeddingBagWeights };

export function packJob(
  arch: Architecture,
  config: TrainConfig,
  train: EncodedSplit,
  weights: Float32Array | null,
  val: EncodedSplit,
): MemberJob {
  return {
    arch,
    config,
    train: { bags: packBags(train.bags), labels: train.labels, weights },
    val: { bags: packBags(val.bags), labels: val.labels },
  };
}

export function unpackJob(job: MemberJob): {
  arch: Architecture;
  set: TrainSet;
  config: TrainConfig;
  evaluate: (w: EmbeddingBagWeights) => number;
} {
  const valBags = unpackBags(job.val.bags);
  return {
    arch: job.arch,
    config: job.config,
    set: {
      bags: unpackBags(job.train.bags),
      labels: job.train.labels,
      teacherLogits: null,
      weights: job.train.weights,
    },
    evaluate: (w) => accuracy(w, valBags, job.val.labels),
  };
}

/** Top-1 accuracy of one model on bags. */
export function accuracy(w: EmbeddingBagWeights, bags: readonly Int32Array[], labels: Int32Array): number {
  const logits = new Float32Array(w.classes);
  let hits = 0;
  for (let i = 0; i < bags.length; i++) {
    forwardLogits(w, bags[i]!, logits);
    if (argmax(logits) === labels[i]) hits++;
  }
  return bags.length > 0 ? hits / bags.length : 0;
}
