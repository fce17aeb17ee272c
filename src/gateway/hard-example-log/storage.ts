import { sha256Hex } from "../../core/digest.ts";
import type { HardExampleRecord, HardExampleRoute } from "../../core/hard-example.ts";

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

/** What an object holds a line of: a hard-example record, or (src/gateway/feedback) a feedback record. */
interface Logged {
  model: string;
  ts: string;
}

export interface Pending<R extends Logged = HardExampleRecord> {
  messageId: string;
  record: R;
}

export interface ObjectPlan<R extends Logged = HardExampleRecord> {
  key: string;
  /** Sorted by ts, then message id. */
  entries: Pending<R>[];
}

const dayOf = (ts: string) => new Date(ts).toISOString().slice(0, 10);

export async function batchId(messageIds: readonly string[]): Promise<string> {
  return (await sha256Hex([...messageIds].sort().join("\n"))).slice(0, 32);
}

/** Groups a batch's records into the objects to write, under `root` (hard-examples, or feedback). */
export async function planObjects<R extends Logged>(
  pending: readonly Pending<R>[],
  root = PREFIX,
): Promise<ObjectPlan<R>[]> {
  const groups = new Map<string, Pending<R>[]>();
  for (const p of pending) {
    // encodeURIComponent: the record schema allows any model name; a "/" or ".." must not move the key.
    const prefix = `${root}/${encodeURIComponent(p.record.model)}/${dayOf(p.record.ts)}`;
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

export function jsonl<R extends Logged>(entries: readonly Pending<R>[]): string {
  return entries.map((e) => `${JSON.stringify(e.record)}\n`).join("");
}

/**
 * Which record of a text the index keeps, most informative first: the teacher's answer to an escalation,
 * an audit (the teacher's answer to a confident student), an answer from the teacher's cache, and a
 * degraded answer (no teacher label at all). A record replaces the row only if its route ranks higher,
 * so a later teacher answer replaces an earlier degraded one, a redelivered record changes nothing, and
 * nobody can hide a text from retraining by getting it logged as degraded first.
 */
export const ROUTE_PRECEDENCE = [
  "teacher",
  "audit",
  "cache",
  "degraded",
] as const satisfies readonly HardExampleRoute[];

/** SQL for the rank of a route column (higher is more informative). */
function rankOf(column: string): string {
  const cases = ROUTE_PRECEDENCE.map((route, i) => `WHEN '${route}' THEN ${ROUTE_PRECEDENCE.length - i}`);
  return `(CASE ${column} ${cases.join(" ")} ELSE 0 END)`;
}

const UPSERT = `INSERT INTO hard_examples
    (id, ts, model, version, route, student_label, teacher_label, confidence, r2_key)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT(id) DO UPDATE SET
    ts = excluded.ts, version = excluded.version, route = excluded.route,
    student_label = excluded.student_label, teacher_label = excluded.teacher_label,
    confidence = excluded.confidence, r2_key = excluded.r2_key
  WHERE ${rankOf("excluded.route")} > ${rankOf("hard_examples.route")}`;

/**
 * The index row of a record (migrations/0003_hard_examples_no_student.sql). `ts` is re-serialised as
 * toISOString() (fixed width, UTC), so text order is time order and `WHERE ts >= ?` with another
 * toISOString() value is a correct range query. `confidence` is the student's (calibrated) confidence:
 * the number routing looked at. A model with no student yet has neither: both are NULL.
 */
export function indexStatement(db: D1Database, record: HardExampleRecord, key: string): D1PreparedStatement {
  return db
    .prepare(UPSERT)
    .bind(
      record.id,
      new Date(record.ts).toISOString(),
      record.model,
      record.version,
      record.route,
      record.student?.label ?? null,
      record.teacher?.label ?? null,
      record.student?.confidence ?? null,
      key,
    );
}
