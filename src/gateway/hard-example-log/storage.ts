import { sha256Hex } from "../../core/digest.ts";
import type { HardExampleRecord } from "../../core/hard-example.ts";

/**
 * Where records live: JSONL objects in R2, one row per example id in D1.
 *
 * Key: hard-examples/{model}/{yyyy-mm-dd}/{batchId}.jsonl, one object per model and (UTC) day of the
 * records' `ts` per consumer batch; a batch that spans midnight writes two objects, so a day's prefix
 * holds exactly that day's records.
 *
 * batchId is derived from the ids of the queue messages in that object (sorted, SHA-256, 32 hex
 * characters), and the lines are in a fixed order, so the key is a function of the object's exact
 * contents. A batch that is delivered again (its ack lost, or retried after a failure) therefore writes
 * the same bytes to the same key: a put that overwrites, never one that duplicates.
 */
export const PREFIX = "hard-examples";

export interface Pending {
  messageId: string;
  record: HardExampleRecord;
}

export interface ObjectPlan {
  key: string;
  /** Sorted by ts, then message id. */
  entries: Pending[];
}

const dayOf = (ts: string) => new Date(ts).toISOString().slice(0, 10);

export async function batchId(messageIds: readonly string[]): Promise<string> {
  return (await sha256Hex([...messageIds].sort().join("\n"))).slice(0, 32);
}

/** Groups a batch's records into the objects to write. */
export async function planObjects(pending: readonly Pending[]): Promise<ObjectPlan[]> {
  const groups = new Map<string, Pending[]>();
  for (const p of pending) {
    // encodeURIComponent: the record schema allows any model name; a "/" or ".." must not move the key.
    const prefix = `${PREFIX}/${encodeURIComponent(p.record.model)}/${dayOf(p.record.ts)}`;
    const group = groups.get(prefix);
    if (group) group.push(p);
    else groups.set(prefix, [p]);
  }
  return Promise.all(
    [...groups].map(async ([prefix, entries]) => {
      entries.sort(
        (a, b) =>
          a.record.ts.localeCompare(b.record.ts) ||
          (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0),
      );
      const id = await batchId(entries.map((e) => e.messageId));
      return { key: `${prefix}/${id}.jsonl`, entries };
    }),
  );
}

export function jsonl(entries: readonly Pending[]): string {
  return entries.map((e) => `${JSON.stringify(e.record)}\n`).join("");
}

/**
 * The index row of a record. `ts` is re-serialised as toISOString() (fixed width, UTC), so text order is
 * time order and `WHERE ts >= ?` with another toISOString() value is a correct range query. `confidence`
 * is the student's (calibrated) confidence: the number routing looked at.
 */
export function indexStatement(db: D1Database, record: HardExampleRecord, key: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO hard_examples
         (id, ts, model, version, route, student_label, teacher_label, confidence, r2_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO NOTHING`,
    )
    .bind(
      record.id,
      new Date(record.ts).toISOString(),
      record.model,
      record.version,
      record.route,
      // A model with no student yet: no student label, and confidence 0 (it had no say in routing).
      record.student?.label ?? "",
      record.teacher?.label ?? null,
      record.student?.confidence ?? 0,
      key,
    );
}
