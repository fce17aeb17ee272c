import type { MessagePort } from "node:worker_threads";
import type { EmbeddingBagWeights } from "../../core/model.ts";
import {
  abortShards,
  createSharedTraining,
  gradientSlots,
  OTHER_SHARD_FAILED,
  type SharedTraining,
  weightsOf,
} from "../train/shards.ts";
import { type Architecture, initWeights, type TrainConfig, type TrainSet } from "../train/trainer.ts";
import { type SharedSet, shareSet } from "./shared-set.ts";
import {
  epochChannel,
  type OnEpoch,
  type SharedValidation,
  shareValidation,
  startThread,
  type Validation,
} from "./threads.ts";

/** One shard thread's work (shard-worker.ts). */
export interface ShardJob {
  shard: number;
  state: SharedTraining;
  set: SharedSet;
  config: TrainConfig;
  /** Shard 0 only: where it posts each epoch's EpochMessage, and the split it scores them on. */
  epochs: MessagePort | null;
  val: SharedValidation;
}

/**
 * train() (train/trainer.ts) on two cores: each shard in a worker thread of its own (threads.ts), in
 * shared memory (train/shards.ts). Deterministic for a given seed whatever the machine. `onEpoch` runs
 * in this thread as shard 0 reports each epoch; if it throws, both shards stop and the call rejects.
 */
export async function trainOnShards(
  arch: Architecture,
  set: TrainSet,
  config: TrainConfig,
  onEpoch: OnEpoch = () => {},
  val: Validation | null = null,
): Promise<EmbeddingBagWeights> {
  if (config.featureDropout > 0) throw new Error("sharded training does not support feature dropout");
  const state = createSharedTraining(
    initWeights(arch, config.seed),
    gradientSlots(set, config, arch.buckets),
  );
  const job = { state, set: shareSet(set, arch.classes), config };
  const epochs = epochChannel(onEpoch, () => abortShards(state));
  const threads = [
    startThread(
      "./shard-worker.ts",
      { ...job, shard: 0, epochs: epochs.port, val: val && shareValidation(val) } satisfies ShardJob,
      [epochs.port],
    ),
    startThread("./shard-worker.ts", { ...job, shard: 1, epochs: null, val: null } satisfies ShardJob),
  ];
  const ended = await Promise.allSettled(threads.map((t) => t.done));
  epochs.close();
  const errors = ended.flatMap((e) => (e.status === "rejected" ? [e.reason as unknown] : []));
  // A shard that fails stops the other, which then fails with OTHER_SHARD_FAILED: report the cause.
  if (errors.length > 0)
    throw errors.find((e) => !(e instanceof Error && e.message === OTHER_SHARD_FAILED)) ?? errors[0];
  return weightsOf(state);
}
