// Worker-thread bootstrap: Node 20 does not pass tsx's loader to worker threads, so each thread
// registers it itself before importing its TypeScript entry.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
