-- Feedback (src/gateway/feedback, POST /v1/feedback): a client's true label for an answered text. Every
-- record received is kept as JSONL in R2 (feedback/{model}/{yyyy-mm-dd}/{batchId}.jsonl, r2_key); this
-- table holds the current record per id, text included, so /admin/feedback and /admin/stats read it in
-- one query. The consumer writes INSERT ... ON CONFLICT(id) DO UPDATE ... WHERE the new record is newer:
-- a repeat replaces the label, a redelivered or late older record changes nothing.
CREATE TABLE IF NOT EXISTS feedback (
  -- SHA-256 (hex) of model and request id and text index, or of model and example id (by text alone).
  id TEXT PRIMARY KEY NOT NULL,
  -- The hard-example id of the text (hard_examples.id when the log holds it too).
  example_id TEXT NOT NULL,
  -- When the feedback was received: ISO 8601 UTC as toISOString() writes it.
  ts TEXT NOT NULL,
  model TEXT NOT NULL,
  -- The version that answered; NULL for feedback given by text alone.
  version TEXT,
  -- The text after redaction, and what redaction removed (JSON object of counts by kind).
  text TEXT NOT NULL,
  redactions TEXT NOT NULL,
  label TEXT NOT NULL,
  request_id TEXT,
  text_index INTEGER CHECK (text_index IS NULL OR text_index >= 0),
  -- Who answered and what the student and the teacher said, when the answer was known.
  source TEXT CHECK (source IS NULL OR source IN ('student', 'teacher', 'cache', 'degraded')),
  student_label TEXT,
  teacher_label TEXT,
  r2_key TEXT NOT NULL
);

-- The export and the statistics read one model's feedback in time order.
CREATE INDEX IF NOT EXISTS feedback_model_ts ON feedback (model, ts);
-- The statistics join feedback to the hard-example log by text, for the teacher's label of audits.
CREATE INDEX IF NOT EXISTS feedback_example ON feedback (example_id);
