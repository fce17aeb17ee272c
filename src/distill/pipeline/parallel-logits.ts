import {
  createEnsembleScratch,
  type EmbeddingBagWeights,
  type Ensemble,
  ensembleLogits,
} from "../../core/model.ts";
import { sharedCopy } from "../train/shards.ts";
import { type SharedBags, shareBags, shared } from "./shared-set.ts";
import { startThread } from "./threads.ts";

/** What both threads read (members, bags) and write (out, the next unclaimed bag). */
export interface LogitsJob {
  members: EmbeddingBagWeights[];
  bags: SharedBags;
  /** [bags × classes] */
  out: Float32Array;
  /** [0]: the first bag no thread has claimed yet. */
  next: Int32Array;
}

/** Bags a thread claims at a time: small enough to even out the threads, large enough to be cheap. */
export const CHUNK = 256;

/**
 * ensembleLogits (core/model.ts) over many bags on two cores: this thread and a worker thread claim
 * chunks of bags from a shared counter until none is left, so a thread that starts late (a worker
 * takes ~0.3 s to boot) or runs slow simply claims fewer. Each bag's logits are computed alone, so the
 * result is the same bit for bit as one thread's, whoever computed which bag.
 */
export async function ensembleLogitsOnThreads(
  members: Ensemble,
  bags: readonly Int32Array[],
): Promise<Float32Array[]> {
  const classes = members[0]?.classes ?? 0;
  const job: LogitsJob = {
    members: members.map(shareWeights),
    bags: shareBags(bags),
    out: shared((b) => new Float32Array(b, 0, bags.length * classes), 4 * bags.length * classes),
    next: shared((b) => new Int32Array(b, 0, 1), 4),
  };
  const thread = startThread("./logits-worker.ts", job);
  try {
    claimAndRun(job);
  } catch (error) {
    Atomics.store(job.next, 0, bags.length); // leaves the worker nothing more to claim
    await thread.done.catch(() => {});
    throw error;
  }
  // Nothing is left to claim: the worker finishes its last chunk (or starts none) and exits.
  await thread.done;
  return bags.map((_, i) => job.out.subarray(i * classes, (i + 1) * classes));
}

/** Runs chunks until the counter passes the last bag. Both threads call it. */
export function claimAndRun(job: LogitsJob): void {
  const { members, bags, out, next } = job;
  const n = bags.offsets.length - 1;
  const classes = members[0]!.classes;
  const scratch = createEnsembleScratch(members);
  for (let from = Atomics.add(next, 0, CHUNK); from < n; from = Atomics.add(next, 0, CHUNK)) {
    const to = Math.min(n, from + CHUNK);
    for (let i = from; i < to; i++) {
      const ids = bags.ids.subarray(bags.offsets[i]!, bags.offsets[i + 1]!);
      ensembleLogits(members, ids, out.subarray(i * classes, (i + 1) * classes), scratch);
    }
  }
}

/** The weights in shared memory (a no-op for arrays already there), so the worker reads them without a copy. */
function shareWeights(w: EmbeddingBagWeights): EmbeddingBagWeights {
  const share = (a: Float32Array | null): Float32Array | null =>
    !a || a.buffer instanceof SharedArrayBuffer ? a : sharedCopy(a);
  return {
    ...w,
    embedding: share(w.embedding)!,
    hiddenWeight: share(w.hiddenWeight),
    hiddenBias: share(w.hiddenBias),
    outWeight: share(w.outWeight)!,
    outBias: share(w.outBias)!,
  };
}
