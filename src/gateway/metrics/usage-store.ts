import type { UsageMessage } from "./usage-schema.ts";

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
