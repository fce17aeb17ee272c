-- The hard-example index (src/gateway/hard-example-log): one row per example id; the records themselves are
-- JSONL objects in R2 (r2_key). Written by the queue consumer with INSERT ... ON CONFLICT(id) DO NOTHING,
-- so the first occurrence of an id is the one indexed; later occurrences are only in R2.
CREATE TABLE IF NOT EXISTS hard_examples (
  -- SHA-256 (hex) of model name and normalised (redacted) text.
  id TEXT PRIMARY KEY NOT NULL,
  -- When the request was answered: ISO 8601 UTC as toISOString() writes it (fixed width, so text order
  -- is time order).
  ts TEXT NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  route TEXT NOT NULL CHECK (route IN ('teacher', 'degraded', 'cache', 'audit')),
  student_label TEXT NOT NULL,
  -- NULL when the teacher did not answer (route degraded).
  teacher_label TEXT,
  -- The student's calibrated confidence in student_label.
  confidence REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  -- hard-examples/{model}/{yyyy-mm-dd}/{batchId}.jsonl
  r2_key TEXT NOT NULL
);

-- The export reads one model's records in time order (model, since, limit).
CREATE INDEX IF NOT EXISTS hard_examples_model_ts ON hard_examples (model, ts);
-- Filters and counts by route (e.g. the audit sample for live accuracy).
CREATE INDEX IF NOT EXISTS hard_examples_route ON hard_examples (route);
