import { FeedbackRecord, isFeedbackKind } from "../../core/feedback.ts";
import { HardExampleRecord } from "../../core/hard-example.ts";
import { describeIssues } from "../errors.ts";
import {
  type AgreementDelivery,
  AgreementMessage,
  isAgreementKind,
  storeAgreement,
} from "../evidence/agreement.ts";
import { type FeedbackDelivery, storeFeedback } from "../feedback/storage.ts";
import { isUsageKind, storeUsage, type UsageDelivery, UsageMessage } from "../metrics/usage.ts";
import type { HardLogBindings } from "./bindings.ts";
import { indexStatement, jsonl, type ObjectPlan, type Pending, planObjects } from "./storage.ts";

/**
 * The queue consumer: validates each message, writes the batch's records to R2 as JSONL (storage.ts has
 * the key scheme) and indexes them in D1 in one batch, then acks. A message is acked only once its
 * object is in R2 *and* its row is in D1; anything short of that is retried with exponential backoff on
 * `message.attempts`, and after max_retries (wrangler.toml) Queues moves it to the dead-letter queue.
 *
 * Why this loses and doubles nothing:
 * - R2 is written before D1, so an index row never points at an object that does not exist.
 * - Rows are upserts in one D1 batch (one transaction): a retried or redelivered record adds no second
 *   row. The id is per (model, text), so a text seen again later is the same example: the row becomes
 *   the later record only if that one is more informative (storage.ts ROUTE_PRECEDENCE: a teacher
 *   answer replaces a degraded one, never the reverse), and every occurrence stays in its own R2 object.
 * - The key is a function of the messages an object holds (storage.ts), so redelivering the same
 *   messages rewrites the same object. R2 can hold a message twice only if a batch fails after its put
 *   and the retried messages then arrive together with different ones (new key, same lines): readers
 *   dedupe by id, as the export and the toolkit do anyway.
 *
 * A message that is not a valid record (zod) will never become one, so retrying it only delays the
 * inevitable: it goes straight to the dead-letter queue through the HARD_EXAMPLES_DLQ producer, body
 * unchanged (so it can be inspected and, once fixed, replayed), and is acked and counted. If that send
 * fails, or the binding is absent, the message is retried and Queues dead-letters it after max_retries:
 * slower, but still nothing is dropped.
 *
 * The queue also carries the gateway's answer counts (`{"kind": "usage"}`, src/gateway/metrics): those
 * are validated by their own schema, written to D1 only (usage_counts, usage_scores; a redelivery adds
 * nothing) and acked once written, retried otherwise, dead-lettered when invalid, like records. So does
 * feedback (`{"kind": "feedback"}`, src/gateway/feedback/storage.ts): R2 under feedback/, then D1; and
 * so do the per-request agreement counts (`{"kind": "agreement"}`, src/gateway/evidence): D1 only.
 */
export const RETRY_BASE_S = 10;
export const RETRY_MAX_S = 3600;

/** 10 s, 20 s, 40 s, … capped at an hour: with max_retries = 12, about 4.4 h of outage before the DLQ. */
export function backoffSeconds(attempts: number): number {
  return Math.min(RETRY_MAX_S, RETRY_BASE_S * 2 ** Math.max(0, attempts - 1));
}

export interface ConsumeReport {
  /** R2 keys written. */
  objects: string[];
  /** Rows inserted or replaced by a more informative record, and records whose id already had a row as good. */
  indexed: number;
  duplicates: number;
  /** Messages that were not records (sent to the DLQ, or retried if that failed). */
  invalid: number;
  retried: number;
  acked: number;
  /** Usage rows written to D1 (usage_counts and usage_scores). */
  usage: number;
  /** Feedback records stored (R2 and D1). */
  feedback: number;
  /** Agreement rows written to D1 (agreement_counts: the evidence for shadows and canaries). */
  agreement: number;
}

export async function consumeHardExamples(
  batch: MessageBatch<unknown>,
  env: HardLogBindings,
): Promise<ConsumeReport> {
  const report: ConsumeReport = {
    objects: [],
    indexed: 0,
    duplicates: 0,
    invalid: 0,
    retried: 0,
    acked: 0,
    usage: 0,
    feedback: 0,
    agreement: 0,
  };
  const ack = (m: Message<unknown>) => {
    m.ack();
    report.acked++;
  };
  const retry = (m: Message<unknown>) => {
    m.retry({ delaySeconds: backoffSeconds(m.attempts) });
    report.retried++;
  };
  const { HARD_EXAMPLES_BUCKET: bucket, DB: db } = env;
  if (!bucket || !db) {
    console.error("hard examples: HARD_EXAMPLES_BUCKET or DB binding missing; retrying the batch");
    batch.messages.forEach(retry);
    return report;
  }

  const valid: Pending[] = [];
  const messages = new Map<string, Message<unknown>>();
  const invalid: Promise<void>[] = [];
  const reject = (message: Message<unknown>, why: string) => {
    report.invalid++;
    console.error(`hard examples: message ${message.id} ${why}`);
    invalid.push(deadLetter(env.HARD_EXAMPLES_DLQ, message).then((sent) => (sent ? ack : retry)(message)));
  };
  const usage: UsageDelivery[] = [];
  const feedback: FeedbackDelivery[] = [];
  const agreement: AgreementDelivery[] = [];
  for (const message of batch.messages) {
    if (isFeedbackKind(message.body)) {
      const parsed = FeedbackRecord.safeParse(message.body);
      if (parsed.success) feedback.push({ message, messageId: message.id, record: parsed.data });
      else reject(message, `is not a feedback record: ${describeIssues(parsed.error)}`);
      continue;
    }
    if (isAgreementKind(message.body)) {
      const parsed = AgreementMessage.safeParse(message.body);
      if (parsed.success) agreement.push({ message, body: parsed.data });
      else reject(message, `is not an agreement message: ${describeIssues(parsed.error)}`);
      continue;
    }
    if (isUsageKind(message.body)) {
      const parsed = UsageMessage.safeParse(message.body);
      if (parsed.success) usage.push({ message, body: parsed.data });
      else reject(message, `is not a usage message: ${describeIssues(parsed.error)}`);
      continue;
    }
    const parsed = HardExampleRecord.safeParse(message.body);
    if (parsed.success) {
      valid.push({ messageId: message.id, record: parsed.data });
      messages.set(message.id, message);
      continue;
    }
    reject(message, `is not a record: ${describeIssues(parsed.error)}`);
  }
  await Promise.all(invalid);
  report.usage = await storeUsage(db, usage, { ack, retry });
  report.feedback = await storeFeedback(bucket, db, feedback, { ack, retry });
  report.agreement = await storeAgreement(db, agreement, { ack, retry });
  if (valid.length === 0) return log(report);

  const plans = await planObjects(valid);
  const puts = await Promise.allSettled(plans.map((plan) => put(bucket, plan)));
  let stored: ObjectPlan[] = [];
  plans.forEach((plan, i) => {
    const result = puts[i]!;
    if (result.status === "fulfilled") stored.push(plan);
    else {
      console.error(`hard examples: R2 put ${plan.key} failed; retrying its messages:`, result.reason);
      for (const e of plan.entries) retry(messages.get(e.messageId)!);
    }
  });

  if (stored.length > 0) {
    try {
      const statements = stored.flatMap((plan) =>
        plan.entries.map((e) => indexStatement(db, e.record, plan.key)),
      );
      const results = await db.batch(statements);
      for (const r of results) {
        if ((r.meta.changes ?? 0) > 0) report.indexed++;
        else report.duplicates++;
      }
    } catch (error) {
      // The objects stay: a retry of the same messages rewrites them, and no row points at them yet.
      console.error("hard examples: D1 index failed; retrying the stored messages:", error);
      for (const plan of stored) for (const e of plan.entries) retry(messages.get(e.messageId)!);
      stored = [];
    }
  }
  for (const plan of stored) {
    report.objects.push(plan.key);
    for (const e of plan.entries) ack(messages.get(e.messageId)!);
  }
  return log(report);
}

function put(bucket: R2Bucket, plan: ObjectPlan): Promise<R2Object | null> {
  return bucket.put(plan.key, jsonl(plan.entries), {
    httpMetadata: { contentType: "application/x-ndjson; charset=utf-8" },
    customMetadata: { records: String(plan.entries.length) },
  });
}

/** True once the message's body is on the dead-letter queue. */
async function deadLetter(dlq: Queue<unknown> | undefined, message: Message<unknown>): Promise<boolean> {
  if (!dlq) return false;
  try {
    await dlq.send(message.body);
    return true;
  } catch (error) {
    console.error(`hard examples: DLQ send of ${message.id} failed:`, error);
    return false;
  }
}

function log(report: ConsumeReport): ConsumeReport {
  const { objects, indexed, duplicates, invalid, retried, acked, usage, feedback } = report;
  console.log(
    `hard examples: ${objects.length} object(s), ${indexed} new row(s), ${duplicates} known id(s), ` +
      `${usage} usage row(s), ${feedback} feedback, ${invalid} invalid, ${acked} acked, ${retried} retried`,
  );
  return report;
}
