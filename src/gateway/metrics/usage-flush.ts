import type { AnsweredBatch } from "./events.ts";
import { UsageBuffer, usageMessages } from "./usage-buffer.ts";

/**
 * Sends an isolate's answer counts to D1 through the hard-examples queue, coalesced: the first answer
 * after a flush schedules the next one `flushMs` later, inside that request's ctx.waitUntil (which may
 * run up to 30 s past the response), so counts never wait for a later request that may never come, and
 * a busy isolate sends one message per window rather than one per request. With flushMs 0 every request
 * flushes its own counts. A failed send is retried twice within the same waitUntil (1 s, then 4 s later,
 * well inside its 30 s), then the counts go back into the buffer for the next flush.
 */
export interface FlushTarget {
  queue: Queue<unknown>;
  flushMs: number;
  /** The request's ctx.waitUntil; without one (app.request in tests) the flush simply runs on. */
  waitUntil?(promise: Promise<unknown>): void;
}

interface Pending {
  buffer: UsageBuffer;
  scheduled: boolean;
}

// Messages per sendBatch: a message is at most MAX_USAGE_ROWS rows (under 50 KB), a batch at most 256 KB.
const PER_SEND = 4;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
// Waits before the second and third send attempts of a part.
const RETRY_DELAYS_MS = [1000, 4000];

async function sendWithRetries(queue: Queue<unknown>, bodies: readonly unknown[]): Promise<void> {
  const batch = bodies.map((body) => ({ body, contentType: "json" as const }));
  for (let attempt = 0; ; attempt++) {
    try {
      await queue.sendBatch(batch);
      return;
    } catch (error) {
      const delay = RETRY_DELAYS_MS[attempt];
      if (delay === undefined) throw error;
      await sleep(delay);
    }
  }
}

export class UsageFlusher {
  // One buffer per queue binding: in production there is one; tests bring their own queues.
  private readonly pending = new WeakMap<Queue<unknown>, Pending>();

  record(batch: AnsweredBatch, target: FlushTarget, at = new Date()): void {
    let pending = this.pending.get(target.queue);
    if (!pending) {
      pending = { buffer: new UsageBuffer(), scheduled: false };
      this.pending.set(target.queue, pending);
    }
    pending.buffer.add(batch, at);
    if (pending.scheduled) return;
    pending.scheduled = true;
    const work = this.flushLater(pending, target);
    target.waitUntil?.(work);
  }

  private async flushLater(pending: Pending, target: FlushTarget): Promise<void> {
    if (target.flushMs > 0) await sleep(target.flushMs);
    // From here on, new answers schedule the next flush.
    pending.scheduled = false;
    if (pending.buffer.empty) return;
    const messages = usageMessages(pending.buffer.drain(), () => crypto.randomUUID());
    for (let i = 0; i < messages.length; i += PER_SEND) {
      const part = messages.slice(i, i + PER_SEND);
      try {
        await sendWithRetries(target.queue, part);
      } catch (error) {
        for (const unsent of messages.slice(i)) pending.buffer.merge(unsent);
        console.error("usage: flush failed, the counts wait for the next one:", error);
        return;
      }
    }
  }
}
