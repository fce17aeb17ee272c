/**
 * The lease table (migrations/0006_leases.sql). Taking a lease is one conditional upsert: it writes only
 * when the row is absent, lapsed, or already the caller's, and RETURNING then yields the row; D1 runs
 * it as one statement, so of two racing callers exactly one gets a row back.
 */
interface Row {
  owner: string;
  acquired_at: number;
  expires_at: number;
}

export type Taken = { taken: true; row: Row } | { taken: false; holder: Row };

export async function takeLease(
  db: D1Database,
  model: string,
  owner: string,
  ttlMs: number,
  now: number,
): Promise<Taken> {
  const first = await tryTake(db, model, owner, ttlMs, now);
  // Released between the upsert and the read of its holder: asking again settles it.
  return (
    first ?? (await tryTake(db, model, owner, ttlMs, now)) ?? { taken: false, holder: unknownHolder(now) }
  );
}

const unknownHolder = (now: number): Row => ({ owner: "(another owner)", acquired_at: now, expires_at: now });

async function tryTake(
  db: D1Database,
  model: string,
  owner: string,
  ttlMs: number,
  now: number,
): Promise<Taken | null> {
  const row = await db
    .prepare(
      `INSERT INTO leases (model, owner, acquired_at, expires_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT(model) DO UPDATE SET
         acquired_at = CASE WHEN leases.owner = excluded.owner THEN leases.acquired_at ELSE excluded.acquired_at END,
         owner = excluded.owner,
         expires_at = excluded.expires_at
       WHERE leases.owner = excluded.owner OR leases.expires_at <= ?3
       RETURNING owner, acquired_at, expires_at`,
    )
    .bind(model, owner, now, now + ttlMs)
    .first<Row>();
  if (row !== null) return { taken: true, row };
  const holder = await db
    .prepare("SELECT owner, acquired_at, expires_at FROM leases WHERE model = ?1")
    .bind(model)
    .first<Row>();
  return holder === null ? null : { taken: false, holder };
}

/** Ends `owner`'s lease; false when it held none (already released, lapsed and taken by another). */
export async function releaseLease(db: D1Database, model: string, owner: string): Promise<boolean> {
  const result = await db
    .prepare("DELETE FROM leases WHERE model = ?1 AND owner = ?2")
    .bind(model, owner)
    .run();
  return result.meta.changes > 0;
}
