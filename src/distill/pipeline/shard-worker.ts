/** Worker-thread entry: shard 1 of a two-core training run (parallel-train.ts, train/shards.ts). */
import { workerData } from "node:worker_threads";
import { abortShards, runShard } from "../train/shards.ts";
import { type ShardJob, unshareSet } from "./parallel-train.ts";

const { job } = workerData as { job: ShardJob };
try {
  runShard(1, job.state, unshareSet(job.set), job.config);
} catch (error) {
  abortShards(job.state);
  throw error;
}
