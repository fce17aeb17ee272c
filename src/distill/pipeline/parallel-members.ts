import { once } from "node:events";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { EmbeddingBagWeights } from "../../core/model.ts";
import { sharedCopy } from "../train/shards.ts";
import {
  type Architecture,
  type EpochReport,
  type TrainConfig,
  type TrainSet,
  train,
} from "../train/trainer.ts";
import { accuracy } from "./accuracy.ts";
import { type SharedBags, type SharedSet, shareBags, shareSet } from "./parallel-train.ts";

/** The worker thread's model (member-worker.ts). */
export interface MemberJob {
  arch: Architecture;
  set: SharedSet;
  config: TrainConfig;
  /** Given when the epochs' validation accuracy is shown: the thread computes it after each epoch. */
  val: (SharedBags & { labels: Int32Array }) | null;
  /** Where the thread posts each epoch's MemberEpochReport. */
  epochs: MessagePort;
}

export interface MemberEpochReport {
  report: EpochReport;
  valAccuracy: number;
}

/** Called after each epoch of a model; `valAccuracy` is only worth calling when someone reads it. */
export type OnMemberEpoch = (report: EpochReport, valAccuracy: () => number) => void;

export interface Validation {
  bags: readonly Int32Array[];
  labels: Int32Array;
  /** Whether the epochs' validation accuracy is read (a progress bar shows it). */
  shown: boolean;
}

/**
 * Trains two models on the same set at once, each with train() (train/trainer.ts) on a thread of its
 * own: the two threads never wait for each other, where trainOnShards has them meet twice per minibatch.
 * Each model is train()'s for its config, bit for bit, whichever thread ran it.
 */
export async function trainTwo(
  arch: Architecture,
  set: TrainSet,
  configs: readonly [TrainConfig, TrainConfig],
  onEpoch: readonly [OnMemberEpoch, OnMemberEpoch],
  val: Validation,
): Promise<[EmbeddingBagWeights, EmbeddingBagWeights]> {
  const { port1: epochs, port2 } = new MessageChannel();
  const job: MemberJob = {
    arch,
    set: shareSet(set, arch.classes),
    config: configs[1],
    val: val.shown ? { ...shareBags(val.bags), labels: sharedCopy(val.labels) } : null,
    epochs: port2,
  };
  const worker = new Worker(new URL("./thread-boot.mjs", import.meta.url), {
    workerData: { entry: new URL("./member-worker.ts", import.meta.url).href, job },
    transferList: [port2],
  });
  // Both reject with the thread's error if it throws (events.once rejects on "error").
  const result = once(worker, "message");
  const exited = once(worker, "exit");
  const theirEpochs = () => {
    for (let m = receiveMessageOnPort(epochs); m; m = receiveMessageOnPort(epochs)) {
      const { report, valAccuracy } = m.message as MemberEpochReport;
      onEpoch[1](report, () => valAccuracy);
    }
  };
  let mine: EmbeddingBagWeights;
  try {
    mine = train(arch, set, configs[0], (report, w) => {
      onEpoch[0](report, () => accuracy(w, val.bags, val.labels));
      theirEpochs();
    });
  } catch (error) {
    await worker.terminate();
    throw error;
  }
  const [theirs] = (await result) as [EmbeddingBagWeights];
  const [code] = await exited;
  if (code !== 0) throw new Error(`member training thread exited with code ${code}`);
  theirEpochs();
  epochs.close();
  return [mine, theirs];
}
