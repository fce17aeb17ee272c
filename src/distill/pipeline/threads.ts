import { once } from "node:events";
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  type TransferListItem,
  Worker,
} from "node:worker_threads";
import type { EmbeddingBagWeights } from "../../core/model.ts";
import { sharedCopy } from "../train/shards.ts";
import type { EpochReport } from "../train/trainer.ts";
import { accuracy } from "./accuracy.ts";
import { type SharedBags, shareBags, unshareBags } from "./shared-set.ts";

/**
 * The toolkit's worker threads: each runs one TypeScript entry of this folder. Training runs only in
 * such threads, so the main thread waits on its event loop while a model trains: timers run (the
 * loop's lease renewals, loop/lease.ts) and progress is drawn as the epochs end. It costs a thread's
 * start-up: two CLINC150 teacher members took 11.0 s against 10.6 s with one in the main thread.
 */
export interface Thread {
  worker: Worker;
  /** The last message the thread posted, once it exits cleanly; rejects with its error or exit code. */
  done: Promise<unknown>;
}

export function startThread(entry: string, job: unknown, transferList: TransferListItem[] = []): Thread {
  // Node 20 does not pass tsx's loader to worker threads: thread-boot.mjs registers it in each.
  const worker = new Worker(new URL("./thread-boot.mjs", import.meta.url), {
    workerData: { entry: new URL(entry, import.meta.url).href, job },
    transferList,
  });
  let last: unknown;
  worker.on("message", (message) => {
    last = message;
  });
  // Node emits every message the thread posted before "exit"; events.once rejects on "error".
  const done = once(worker, "exit").then(([code]) => {
    if (code !== 0) throw new Error(`${entry} exited with code ${code}`);
    return last;
  });
  return { worker, done };
}

/** Called after each epoch of a model; `valAccuracy` is only worth calling when someone reads it. */
export type OnEpoch = (report: EpochReport, valAccuracy: () => number) => void;

/** What a training thread posts after each epoch. */
export interface EpochMessage {
  report: EpochReport;
  /** NaN when the thread was given no validation split. */
  valAccuracy: number;
}

export interface Validation {
  bags: readonly Int32Array[];
  labels: Int32Array;
  /** Whether the epochs' validation accuracy is read (a progress bar shows it). */
  shown: boolean;
}

/** The validation split a training thread scores each epoch on; null when nobody reads the score. */
export type SharedValidation = (SharedBags & { labels: Int32Array }) | null;

export function shareValidation(val: Validation): SharedValidation {
  return val.shown ? { ...shareBags(val.bags), labels: sharedCopy(val.labels) } : null;
}

/**
 * A channel for a thread's EpochMessages, handed to `onEpoch` as they arrive. An error `onEpoch` throws
 * is kept (the first one) and `stop` is called, so the caller can end its threads and report it.
 */
export function epochChannel(onEpoch: OnEpoch, stop: () => void) {
  const { port1, port2 } = new MessageChannel();
  let failure: { error: unknown } | null = null;
  const handle = ({ report, valAccuracy }: EpochMessage) => {
    try {
      onEpoch(report, () => valAccuracy);
    } catch (error) {
      failure ??= { error };
      stop();
    }
  };
  port1.on("message", handle);
  return {
    /** Goes to the thread, in its job and its transfer list. */
    port: port2,
    /** After the thread ended: hands over what it posted last, closes the channel, throws a kept error. */
    close(): void {
      for (let m = receiveMessageOnPort(port1); m; m = receiveMessageOnPort(port1)) handle(m.message);
      port1.close();
      if (failure) throw failure.error;
    },
  };
}

/** A training thread's side of epochChannel: posts each epoch's report, scored on `val` when given. */
export function epochReporter(port: MessagePort | null, val: SharedValidation) {
  const bags = val ? unshareBags(val) : [];
  return (report: EpochReport, weights: EmbeddingBagWeights): void => {
    const valAccuracy = val ? accuracy(weights, bags, val.labels) : Number.NaN;
    port?.postMessage({ report, valAccuracy } satisfies EpochMessage);
  };
}
