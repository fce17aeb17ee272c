/** Worker-thread entry: one shard of a two-core training run (parallel-train.ts, train/shards.ts). */
import { workerData } from "node:worker_threads";
import { abortShards, runShard } from "../train/shards.ts";
import { accuracy } from "./accuracy.ts";
import type { ShardJob } from "./parallel-train.ts";
import { unshareBags, unshareSet } from "./shared-set.ts";
import type { EpochMessage } from "./threads.ts";

const { shard, state, set, config, epochs, val } = (workerData as { job: ShardJob }).job;
const valBags = val ? unshareBags(val) : [];
try {
  runShard(shard, state, unshareSet(set), config, (report, weights) => {
    const valAccuracy = val ? accuracy(weights, valBags, val.labels) : Number.NaN;
    epochs?.postMessage({ report, valAccuracy } satisfies EpochMessage);
  });
} catch (error) {
  abortShards(state);
  throw error;
}
