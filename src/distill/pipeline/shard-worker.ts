/** Worker-thread entry: one shard of a two-core training run (parallel-train.ts, train/shards.ts). */
import { workerData } from "node:worker_threads";
import { abortShards, runShard } from "../train/shards.ts";
import type { ShardJob } from "./parallel-train.ts";
import { unshareSet } from "./shared-set.ts";
import { epochReporter } from "./threads.ts";

const { shard, state, set, config, epochs, val } = (workerData as { job: ShardJob }).job;
try {
  runShard(shard, state, unshareSet(set), config, epochReporter(epochs, val));
} catch (error) {
  abortShards(state);
  throw error;
}
