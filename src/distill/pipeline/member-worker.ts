/**
 * Worker-thread entry: trains one ensemble member so members train in parallel on separate cores.
 * Training is deterministic per member seed, so threads do not change the result.
 */
import { parentPort, workerData } from "node:worker_threads";
import { train } from "../train/trainer.ts";
import { type MemberJob, type MemberMessage, unpackJob } from "./member-job.ts";

const { job } = workerData as { job: MemberJob };
const { arch, set, config, evaluate } = unpackJob(job);
const post = (message: MemberMessage, transfer: ArrayBuffer[] = []) =>
  parentPort!.postMessage(message, transfer);
const weights = train(arch, set, config, (report, w) =>
  post({ type: "epoch", ...report, valAccuracy: evaluate(w) }),
);
const buffers = [
  weights.embedding,
  weights.hiddenWeight,
  weights.hiddenBias,
  weights.outWeight,
  weights.outBias,
]
  .filter((a): a is Float32Array => a !== null)
  .map((a) => a.buffer as ArrayBuffer);
post({ type: "done", weights }, buffers);
