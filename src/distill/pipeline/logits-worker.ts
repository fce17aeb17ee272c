/** Worker-thread entry: the second thread of ensembleLogitsOnThreads (parallel-logits.ts). */
import { workerData } from "node:worker_threads";
import { claimAndRun, type LogitsJob } from "./parallel-logits.ts";

claimAndRun((workerData as { job: LogitsJob }).job);
