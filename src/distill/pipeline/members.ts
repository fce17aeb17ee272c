import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { EmbeddingBagWeights } from "../../core/model.ts";
import { train } from "../train/trainer.ts";
import { type MemberJob, type MemberMessage, unpackJob } from "./member-job.ts";

export type EpochListener = (member: number, message: Extract<MemberMessage, { type: "epoch" }>) => void;

/**
 * Trains ensemble members, each in its own worker thread, at most `threads` at a time. With one
 * thread they train in this thread, which keeps tests and debuggers simple.
 */
export async function trainMembers(
  jobs: readonly MemberJob[],
  onEpoch: EpochListener,
  threads = Math.min(jobs.length, availableParallelism()),
): Promise<EmbeddingBagWeights[]> {
  if (threads <= 1) return jobs.map((job, i) => trainInThisThread(job, i, onEpoch));
  const results: EmbeddingBagWeights[] = new Array(jobs.length);
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await trainInWorker(jobs[i]!, i, onEpoch);
    }
  };
  await Promise.all(Array.from({ length: threads }, runner));
  return results;
}

function trainInThisThread(job: MemberJob, member: number, onEpoch: EpochListener): EmbeddingBagWeights {
  const { arch, set, config, evaluate } = unpackJob(job);
  return train(arch, set, config, (report, w) =>
    onEpoch(member, { type: "epoch", ...report, valAccuracy: evaluate(w) }),
  );
}

function trainInWorker(job: MemberJob, member: number, onEpoch: EpochListener): Promise<EmbeddingBagWeights> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./thread-boot.mjs", import.meta.url), {
      workerData: { entry: new URL("./member-worker.ts", import.meta.url).href, job },
    });
    let done = false;
    worker.on("message", (message: MemberMessage) => {
      if (message.type === "epoch") onEpoch(member, message);
      else {
        done = true;
        resolve(message.weights);
      }
    });
    worker.on("error", reject);
    worker.on("exit", (code) => {
      if (!done) reject(new Error(`member ${member} training thread exited with code ${code}`));
    });
  });
}
