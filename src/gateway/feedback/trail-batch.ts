import { z } from "zod";
import { clientName, TrailEntry } from "./trail-entry.ts";

/**
 * The answer trail's batches: an isolate's answers written as ONE KV entry per short window instead of
 * one per request (a KV write costs more than the Worker request it would follow, and most of a
 * confident student answer's CPU).
 *
 * A request id the gateway issues names its batch: `{batch}-{seq}`, a random 8-4-4-4 hex batch id per
 * window and 12 random hex digits unique in the batch, so the id still reads as a UUID. The seq is random,
 * not a counter: without client keys every request is the same client, and an id must stay a secret a
 * neighbour's id cannot be guessed from (feedback by id outranks the teacher in training). The first answer of a
 * batch opens its window; the batch is written FEEDBACK_BATCH_MS later (or at once past MAX_BATCH_CHARS)
 * as `answer-batch/{batch}`, and from then on new ids name a new batch. An answer whose batch is already
 * written (a slow teacher, a late shadow) is kept on its own, as is any request with the client's own id.
 */
export const MAX_BATCH_CHARS = 1 << 20;
/** Ids issued in one batch before the next opens: bounds the set that keeps the seqs unique. */
export const MAX_BATCH_IDS = 4096;

const BATCHED_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})-([0-9a-f]{12})$/;

/** Where a batched request id's entry would be; null for an id of another shape. */
export interface BatchPlace {
  batchId: string;
  seq: string;
}

/** The place a request id names, read from the id itself: only feedback needs it (the answer has its slot). */
export function batchPlace(requestId: string): BatchPlace | null {
  const m = BATCHED_ID.exec(requestId);
  return m ? { batchId: m[1]!, seq: m[2]! } : null;
}

export const batchKey = (batchId: string) => `answer-batch/${batchId}`;

/** One request's entry in a batch: the client is kept per answer, as a batch holds every client's. */
export const BatchedAnswer = z.strictObject({ client: z.string(), entry: TrailEntry });
export type BatchedAnswer = z.infer<typeof BatchedAnswer>;

/** A batch as KV holds it: sequence number → BatchedAnswer (each validated when read). */
const BatchValue = z.object({ requests: z.record(z.string(), z.unknown()) });

/** The entry of `place` in a stored batch value, if it is there and the client's. */
export function entryInBatch(raw: unknown, place: BatchPlace, client: string | undefined): TrailEntry | null {
  const value = BatchValue.safeParse(raw);
  const found = value.success && Object.hasOwn(value.data.requests, place.seq);
  if (!found) return null;
  const answer = BatchedAnswer.safeParse(value.data.requests[place.seq]);
  if (!answer.success) {
    console.error(`answer trail: entry ${place.seq} of batch ${place.batchId} does not validate`);
    return null;
  }
  return answer.data.client === clientName(client) ? answer.data.entry : null;
}

/** Where a batch goes: the KV namespace and the entries' lifetime (FEEDBACK_WINDOW_S). */
export interface BatchTarget {
  kv: KVNamespace;
  ttlS: number;
  /** FEEDBACK_BATCH_MS: how long the first answer waits for others. */
  batchMs: number;
}

type BatchState = "open" | "writing" | "written";

class Batch {
  readonly id = crypto.randomUUID().slice(0, 23);
  state: BatchState = "open";
  private readonly issued = new Set<string>();
  private readonly answers = new Map<string, BatchedAnswer>();
  // Each answer serialised once, as it joins: the write only concatenates.
  private readonly members: string[] = [];
  private chars = 0;
  target: Omit<BatchTarget, "batchMs"> | null = null;
  /** Settles once the batch is written (or failed); null until the first answer. */
  written: Promise<void> | null = null;
  release: () => void = () => {};

  nextSeq(): string {
    const bytes = new Uint8Array(6);
    let seq: string;
    do {
      crypto.getRandomValues(bytes);
      seq = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    } while (this.issued.has(seq));
    this.issued.add(seq);
    return seq;
  }

  get exhausted(): boolean {
    return this.issued.size >= MAX_BATCH_IDS;
  }

  /** Once written, no id is issued from it again: the seqs need not be kept. */
  forgetIssued(): void {
    this.issued.clear();
  }

  add(seq: string, answer: BatchedAnswer): void {
    const member = `"${seq}":${JSON.stringify(answer)}`;
    this.answers.set(seq, answer);
    this.members.push(member);
    this.chars += member.length + 1;
  }

  get full(): boolean {
    return this.chars >= MAX_BATCH_CHARS;
  }

  get size(): number {
    return this.members.length;
  }

  find(seq: string, client: string | undefined): TrailEntry | null {
    const answer = this.answers.get(seq);
    return answer && answer.client === clientName(client) ? answer.entry : null;
  }

  value(): string {
    return `{"requests":{${this.members.join(",")}}}`;
  }
}

/** A request's place in the batch its id names, set in the context when the gateway issued the id. */
export interface TrailSlot {
  readonly id: string;
  readonly batch: Batch;
  readonly seq: string;
}

/** An isolate's trail batches: the open one, and those not yet in KV (for feedback from this isolate). */
export class TrailBatches {
  private open: Batch | null = null;
  private readonly unwritten = new Map<string, Batch>();

  /** A new request id in the open batch. */
  issue(): TrailSlot {
    let batch = this.open;
    if (batch === null || batch.state !== "open" || batch.exhausted) {
      // A batch joins `unwritten` with its first answer: one whose ids never answer is simply dropped.
      batch = new Batch();
      this.open = batch;
    }
    const seq = batch.nextSeq();
    return { id: `${batch.id}-${seq}`, batch, seq };
  }

  /**
   * Adds a request's entry to its batch and returns the batch's write, for the request's ctx.waitUntil;
   * null when the batch is already written (or bound for another namespace): keep it on its own.
   */
  keep(
    slot: TrailSlot,
    client: string | undefined,
    entry: TrailEntry,
    to: BatchTarget,
  ): Promise<void> | null {
    const { batch } = slot;
    if (batch.state !== "open") return null;
    if (batch.target === null) {
      batch.target = { kv: to.kv, ttlS: to.ttlS };
      this.unwritten.set(batch.id, batch);
      batch.written = new Promise<void>((resolve) => {
        batch.release = resolve;
      });
      setTimeout(() => void this.write(batch), to.batchMs);
    } else if (batch.target.kv !== to.kv || batch.target.ttlS !== to.ttlS) return null;
    batch.add(slot.seq, { client: clientName(client), entry });
    if (batch.full) void this.write(batch);
    return batch.written;
  }

  /**
   * A batched id's entry while its batch is still in this isolate: the entry, null when the batch is here
   * but holds no such answer of the client's, undefined when the batch is not here (look in KV).
   */
  find(place: BatchPlace, client: string | undefined): TrailEntry | null | undefined {
    return this.unwritten.get(place.batchId)?.find(place.seq, client);
  }

  private async write(batch: Batch): Promise<void> {
    if (batch.state !== "open" || batch.target === null) return;
    batch.state = "writing";
    if (this.open === batch) this.open = null;
    const { kv, ttlS } = batch.target;
    try {
      await kv.put(batchKey(batch.id), batch.value(), { expirationTtl: ttlS });
    } catch (error) {
      // As for a single entry: only the chance of feedback by request id is lost (text still works).
      console.error(`answer trail: batch ${batch.id} (${batch.size} answers) not kept:`, error);
    } finally {
      batch.state = "written";
      batch.forgetIssued();
      this.unwritten.delete(batch.id);
      batch.release();
    }
  }
}
