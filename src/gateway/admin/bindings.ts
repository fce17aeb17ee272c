/**
 * What the admin routes read from env. ADMIN_TOKEN is a secret (`wrangler secret put ADMIN_TOKEN`; under
 * `npm start` the stack passes one). DB and HARD_EXAMPLES_BUCKET are the hard-example log's D1 index and
 * R2 bucket, written by its queue consumer (src/gateway/hard-example-log); the export only reads them.
 */
export interface AdminBindings {
  ADMIN_TOKEN?: string;
  DB?: D1Database;
  HARD_EXAMPLES_BUCKET?: R2Bucket;
}
