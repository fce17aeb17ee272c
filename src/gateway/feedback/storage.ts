import type { FeedbackRecord } from "../../core/feedback.ts";
import { jsonl, type ObjectPlan, type Pending, planObjects } from "../hard-example-log/storage.ts";

/**
 * Where the queue consumer puts feedback: every record as JSONL in R2 under feedback/ (the same key
 * scheme as hard examples, hard-example-log/storage.ts, so a redelivered batch rewrites its object), then
 * the current record per id in D1 (migrations/0004_feedback.sql, 0007), newest wins. Messages are acked only
 * after both writes and retried otherwise, like records.
 */
export const FEEDBACK_PREFIX = "feedback";

export type FeedbackDelivery = Pending<FeedbackRecord> & { message: Message<unknown> };

const UPSERT = `INSERT INTO feedback
    (id, example_id, ts, model, version, text, redactions, label, request_id, text_index, source,
     student_label, teacher_label, shadow_version, shadow_label, r2_key)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT(id) DO UPDATE SET
    example_id = excluded.example_id, ts = excluded.ts, version = excluded.version, text = excluded.text,
    redactions = excluded.redactions, label = excluded.label, request_id = excluded.request_id,
    text_index = excluded.text_index, source = excluded.source, student_label = excluded.student_label,
    teacher_label = excluded.teacher_label, shadow_version = excluded.shadow_version,
    shadow_label = excluded.shadow_label, r2_key = excluded.r2_key
  WHERE excluded.ts > feedback.ts`;

function upsert(db: D1Database, record: FeedbackRecord, key: string): D1PreparedStatement {
  return db
    .prepare(UPSERT)
    .bind(
      record.id,
      record.example_id,
      new Date(record.ts).toISOString(),
      record.model,
      record.version,
      record.text,
      JSON.stringify(record.redactions),
      record.label,
      record.request_id,
      record.index,
      record.source,
      record.student_label,
      record.teacher_label,
      record.shadow?.version ?? null,
      record.shadow?.label ?? null,
      key,
    );
}

interface Settle {
  ack(message: Message<unknown>): void;
  retry(message: Message<unknown>): void;
}

/** Stores the batch's feedback and settles each message; returns how many were stored. */
export async function storeFeedback(
  bucket: R2Bucket,
  db: D1Database,
  deliveries: readonly FeedbackDelivery[],
  settle: Settle,
): Promise<number> {
  if (deliveries.length === 0) return 0;
  const messages = new Map(deliveries.map((d) => [d.messageId, d.message]));
  const settleAll = (plans: readonly ObjectPlan<FeedbackRecord>[], how: (m: Message<unknown>) => void) => {
    for (const plan of plans) for (const e of plan.entries) how(messages.get(e.messageId)!);
  };
  const plans = await planObjects(deliveries, FEEDBACK_PREFIX);
  try {
    // R2 first: a row never points at an object that is not there.
    await Promise.all(
      plans.map((plan) =>
        bucket.put(plan.key, jsonl(plan.entries), {
          httpMetadata: { contentType: "application/x-ndjson; charset=utf-8" },
        }),
      ),
    );
    await db.batch(plans.flatMap((plan) => plan.entries.map((e) => upsert(db, e.record, plan.key))));
  } catch (error) {
    console.error("feedback: R2 or D1 write failed; retrying the batch's feedback:", error);
    settleAll(plans, settle.retry);
    return 0;
  }
  settleAll(plans, settle.ack);
  return deliveries.length;
}
