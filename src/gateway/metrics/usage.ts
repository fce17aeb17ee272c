import { z } from "zod";
import { ANSWER_SOURCES, type AnswerSummary, countSources, ENDPOINTS } from "../answered.ts";

/**
 * The gateway's answer counts, from an isolate to D1: the "usage" message (its schema), the isolate's
 * buffer of counts, the coalescing flush that sends them on the hard-examples queue, and the consumer's
 * D1 writes.
 *
 * The "usage" message: an isolate's answer counts and routing-score histogram since its last flush,
 * sent on the hard-examples queue and written to D1 (usage_counts, usage_scores; see
 * migrations/0002_usage.sql) by the queue consumer. One schema for the producer and the consumer; it
 * mirrors the tables' CHECK constraints, so a message that validates is one D1 accepts.
 */
export const USAGE_KIND = "usage";
export const SCORE_BINS = 20;
/** Rows per message (counts and scores together): keeps a message far below Queues' 128 KB. */
export const MAX_USAGE_ROWS = 250;

/** The UTC hour of an instant, as the first 13 characters of toISOString(): 2026-11-29T11. */
export const hourOf = (at: Date | number): string => new Date(at).toISOString().slice(0, 13);
const Hour = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}$/, "must be a UTC hour such as 2026-11-29T11");
const Name = z.string().min(1);
const Count = z.number().int().positive();

export const UsageCount = z.strictObject({
  hour: Hour,
  model: Name,
  version: Name,
  endpoint: z.enum(ENDPOINTS),
  source: z.enum(ANSWER_SOURCES),
  n: Count,
});
export type UsageCount = z.infer<typeof UsageCount>;

export const UsageScore = z.strictObject({
  hour: Hour,
  model: Name,
  version: Name,
  bin: z
    .number()
    .int()
    .min(0)
    .max(SCORE_BINS - 1),
  n: Count,
});
export type UsageScore = z.infer<typeof UsageScore>;

export const UsageMessage = z
  .strictObject({
    kind: z.literal(USAGE_KIND),
    /** Unique per message: the tables' primary keys start with it, so a redelivery adds nothing. */
    flush_id: z.uuid(),
    counts: z.array(UsageCount),
    scores: z.array(UsageScore),
  })
  .refine((m) => m.counts.length + m.scores.length <= MAX_USAGE_ROWS, {
    message: `at most ${MAX_USAGE_ROWS} rows per message`,
  });
export type UsageMessage = z.infer<typeof UsageMessage>;

/** Whether a queue message claims to be a usage message (whether it is one is UsageMessage's to say). */
export function isUsageKind(body: unknown): boolean {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === USAGE_KIND;
}

/** bin = min(19, floor(score × 20)), scores outside [0, 1] clamped. */
export function scoreBin(score: number): number {
  if (!Number.isFinite(score)) return 0;
  return Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(score * SCORE_BINS)));
}

/**
 * An isolate's answer counts since its last flush, keyed as the D1 rows are: (hour, model, version,
 * endpoint, source) and (hour, model, version, bin). Draining empties it; a failed send merges the
 * rows back, so nothing counted is lost.
 */
type Row = UsageCount | UsageScore;
const countKey = (r: UsageCount) => JSON.stringify([r.hour, r.model, r.version, r.endpoint, r.source]);
const scoreKey = (r: UsageScore) => JSON.stringify([r.hour, r.model, r.version, r.bin]);

function add<R extends Row>(rows: Map<string, R>, key: string, row: R): void {
  const found = rows.get(key);
  if (found) found.n += row.n;
  else rows.set(key, { ...row });
}

export interface UsageRows {
  counts: UsageCount[];
  scores: UsageScore[];
}

export class UsageBuffer {
  private counts = new Map<string, UsageCount>();
  private scores = new Map<string, UsageScore>();

  get empty(): boolean {
    return this.counts.size === 0 && this.scores.size === 0;
  }

  /** One answer per text, in the UTC hour of `at`; summed per row first, so keys are built per row, not per text. */
  add(batch: AnswerSummary, at: Date): void {
    const hour = hourOf(at);
    const { model, version, endpoint } = batch;
    const sources = countSources(batch.answers);
    for (const source of ANSWER_SOURCES) {
      const n = sources[source];
      if (n > 0) {
        const count: UsageCount = { hour, model, version, endpoint, source, n };
        add(this.counts, countKey(count), count);
      }
    }
    const bins = new Map<number, number>();
    for (const answer of batch.answers) {
      if (answer.score === null) continue; // no student, no score
      const bin = scoreBin(answer.score);
      bins.set(bin, (bins.get(bin) ?? 0) + 1);
    }
    for (const [bin, n] of bins) {
      const score: UsageScore = { hour, model, version, bin, n };
      add(this.scores, scoreKey(score), score);
    }
  }

  merge(rows: UsageRows): void {
    for (const r of rows.counts) add(this.counts, countKey(r), r);
    for (const r of rows.scores) add(this.scores, scoreKey(r), r);
  }

  drain(): UsageRows {
    const rows = { counts: [...this.counts.values()], scores: [...this.scores.values()] };
    this.counts = new Map();
    this.scores = new Map();
    return rows;
  }
}

/**
 * The drained rows as messages: one, unless they exceed MAX_USAGE_ROWS (many models and versions in one
 * window), then as many as needed, each with its own flush id.
 */
export function usageMessages(rows: UsageRows, newId: () => string): UsageMessage[] {
  // Rows i..end of the counts followed by the scores: scores' positions are shifted by the counts'.
  const shift = rows.counts.length;
  const messages: UsageMessage[] = [];
  for (let i = 0; i < shift + rows.scores.length; i += MAX_USAGE_ROWS) {
    const end = i + MAX_USAGE_ROWS;
    messages.push({
      kind: USAGE_KIND,
      flush_id: newId(),
      counts: rows.counts.slice(i, end),
      scores: rows.scores.slice(Math.max(0, i - shift), Math.max(0, end - shift)),
    });
  }
  return messages;
}

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

  record(batch: AnswerSummary, target: FlushTarget, at = new Date()): void {
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

/**
 * The consumer's side of the usage counts: a message's rows as D1 statements. `ON CONFLICT DO NOTHING`
 * on primary keys that start with flush_id makes a redelivered message add nothing.
 */
function usageStatements(db: D1Database, message: UsageMessage): D1PreparedStatement[] {
  const counts = message.counts.map((r) =>
    db
      .prepare(
        `INSERT INTO usage_counts (flush_id, hour, model, version, endpoint, source, n)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .bind(message.flush_id, r.hour, r.model, r.version, r.endpoint, r.source, r.n),
  );
  const scores = message.scores.map((r) =>
    db
      .prepare(
        `INSERT INTO usage_scores (flush_id, hour, model, version, bin, n)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .bind(message.flush_id, r.hour, r.model, r.version, r.bin, r.n),
  );
  return [...counts, ...scores];
}

export interface UsageDelivery {
  message: Message<unknown>;
  body: UsageMessage;
}

/**
 * Writes every usage message of a batch in one D1 batch (one transaction), then acks them; if D1 fails,
 * retries them all (the consumer's backoff), so counts are acked only once written. Returns the rows
 * written.
 */
export async function storeUsage(
  db: D1Database,
  deliveries: readonly UsageDelivery[],
  settle: { ack(m: Message<unknown>): void; retry(m: Message<unknown>): void },
): Promise<number> {
  if (deliveries.length === 0) return 0;
  try {
    const statements = deliveries.flatMap((d) => usageStatements(db, d.body));
    const results = statements.length > 0 ? await db.batch(statements) : [];
    for (const d of deliveries) settle.ack(d.message);
    return results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  } catch (error) {
    console.error("usage: D1 write failed; retrying the usage messages:", error);
    for (const d of deliveries) settle.retry(d.message);
    return 0;
  }
}
