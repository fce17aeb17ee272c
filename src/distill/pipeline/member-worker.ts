/** Worker-thread entry: one model of trainTwo (parallel-members.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { train } from "../train/trainer.ts";
import type { MemberJob } from "./parallel-members.ts";
import { unshareSet } from "./shared-set.ts";
import { epochReporter } from "./threads.ts";

const { arch, set, config, val, epochs } = (workerData as { job: MemberJob }).job;
const w = train(arch, unshareSet(set), config, epochReporter(epochs, val));
const buffers = [w.embedding, w.hiddenWeight, w.hiddenBias, w.outWeight, w.outBias].flatMap((a) =>
  a ? [a.buffer as ArrayBuffer] : [],
);
parentPort!.postMessage(w, buffers);
