import type { HardExampleRecord } from "../../core/hard-example.ts";

/**
 * Sends records to the queue in as few sendBatch calls as Queues allows: at most 100 messages and
 * 256 KB per call, at most 128 KB per message. A record over the message limit cannot travel through a
 * queue at all; it is dropped with an error in the log rather than failing its whole batch. (With the
 * default MAX_TEXT_CHARS a record is a few KB; only a very large MAX_TEXT_CHARS gets near the limit.)
 */
export const MAX_MESSAGES = 100;
export const MAX_BATCH_BYTES = 256 * 1024;
export const MAX_MESSAGE_BYTES = 128 * 1024;
// Queues counts some bytes of its own per message; keep clear of the edges.
const OVERHEAD = 1024;

export interface Sized<T> {
  item: T;
  bytes: number;
}

/** Groups items into sendBatch calls within the limits; oversized items come back in `dropped`. */
export function chunk<T>(items: readonly Sized<T>[]): { batches: T[][]; dropped: T[] } {
  const batches: T[][] = [];
  const dropped: T[] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const { item, bytes: size } of items) {
    const cost = size + OVERHEAD;
    if (cost > MAX_MESSAGE_BYTES) {
      dropped.push(item);
      continue;
    }
    if (current.length === MAX_MESSAGES || bytes + cost > MAX_BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += cost;
  }
  if (current.length > 0) batches.push(current);
  return { batches, dropped };
}

export async function sendRecords(
  queue: Queue<unknown>,
  records: readonly HardExampleRecord[],
): Promise<void> {
  const encoder = new TextEncoder();
  const { batches, dropped } = chunk(
    records.map((item) => ({ item, bytes: encoder.encode(JSON.stringify(item)).byteLength })),
  );
  if (dropped.length > 0)
    console.error(`hard examples: ${dropped.length} record(s) over the queue's message size, not logged`);
  for (const batch of batches) {
    await queue.sendBatch(batch.map((body) => ({ body, contentType: "json" as const })));
  }
}
