import type { MessagePort } from "node:worker_threads";
import type { EmbeddingBagWeights } from "../../core/model.ts";
import type { Architecture, TrainConfig, TrainSet } from "../train/trainer.ts";
import { type SharedSet, shareSet } from "./shared-set.ts";
import {
  epochChannel,
  type OnEpoch,
  type SharedValidation,
  shareValidation,
  startThread,
  type Validation,
} from "./threads.ts";

/** One model's work (member-worker.ts). */
export interface MemberJob {
  arch: Architecture;
  set: SharedSet;
  config: TrainConfig;
  /** Given when the epochs' validation accuracy is shown: the thread computes it after each epoch. */
  val: SharedValidation;
  /** Where the thread posts each epoch's EpochMessage. */
  epochs: MessagePort;
}

/**
 * Trains two models on the same set at once, each with train() (train/trainer.ts) on a thread of its
 * own: the two threads never wait for each other, where trainOnShards has them meet twice per minibatch.
 * Each model is train()'s for its config, bit for bit. If an `onEpoch` throws, both threads are stopped
 * and the call rejects with its error.
 */
export async function trainTwo(
  arch: Architecture,
  set: TrainSet,
  configs: readonly [TrainConfig, TrainConfig],
  onEpoch: readonly [OnEpoch, OnEpoch],
  val: Validation,
): Promise<[EmbeddingBagWeights, EmbeddingBagWeights]> {
  const shared = { arch, set: shareSet(set, arch.classes), val: shareValidation(val) };
  const stop = () => {
    for (const { thread } of members) void thread.worker.terminate();
  };
  const members = configs.map((config, k) => {
    const epochs = epochChannel(onEpoch[k]!, stop);
    const job: MemberJob = { ...shared, config, epochs: epochs.port };
    return { epochs, thread: startThread("./member-worker.ts", job, [epochs.port]) };
  });
  const ended = await Promise.allSettled(members.map(({ thread }) => thread.done));
  // A callback's error first: it is why the threads were terminated.
  for (const { epochs } of members) epochs.close();
  for (const e of ended) if (e.status === "rejected") throw e.reason;
  return ended.map((e) => (e as PromiseFulfilledResult<EmbeddingBagWeights>).value) as [
    EmbeddingBagWeights,
    EmbeddingBagWeights,
  ];
}
