/**
 * The hard-example log's bindings (wrangler.toml). All optional: without HARD_EXAMPLES the gateway answers
 * as usual and logs nothing; the consumer needs the bucket and the database, and retries until they are
 * there. DB and HARD_EXAMPLES_BUCKET are also read by the admin export (src/gateway/admin).
 */
export interface HardLogBindings {
  /** Queue producer: hard-example records, one message each. */
  HARD_EXAMPLES?: Queue<unknown>;
  /** Queue producer for the dead-letter queue, where the consumer puts messages that are not records. */
  HARD_EXAMPLES_DLQ?: Queue<unknown>;
  /** R2: hard-examples/{model}/{yyyy-mm-dd}/{batchId}.jsonl. */
  HARD_EXAMPLES_BUCKET?: R2Bucket;
  /** D1: the `hard_examples` index (migrations/). */
  DB?: D1Database;
}
