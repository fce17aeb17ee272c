/**
 * The answer trail's KV namespace (wrangler.toml): request id → the answer's redacted texts and labels,
 * for FEEDBACK_WINDOW_S. Optional: without it feedback must carry its text.
 */
export interface FeedbackBindings {
  ANSWER_TRAIL?: KVNamespace;
}
