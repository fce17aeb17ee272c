/** Worker-thread entry: one model of trainTwo (parallel-members.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { train } from "../train/trainer.ts";
import { accuracy } from "./accuracy.ts";
import type { MemberJob } from "./parallel-members.ts";
import { unshareBags, unshareSet } from "./shared-set.ts";
import type { EpochMessage } from "./threads.ts";

const { arch, set, config, val, epochs } = (workerData as { job: MemberJob }).job;
const valBags = val ? unshareBags(val) : [];
const w = train(arch, unshareSet(set), config, (report, weights) => {
  const valAccuracy = val ? accuracy(weights, valBags, val.labels) : Number.NaN;
  epochs.postMessage({ report, valAccuracy } satisfies EpochMessage);
});
const buffers = [w.embedding, w.hiddenWeight, w.hiddenBias, w.outWeight, w.outBias].flatMap((a) =>
  a ? [a.buffer as ArrayBuffer] : [],
);
parentPort!.postMessage(w, buffers);
