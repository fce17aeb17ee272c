-- The hard-example index, rebuilt (SQLite cannot drop NOT NULL in place: new table, copy, drop, rename,
-- indexes again) for two changes:
-- 1. Records with no student (a model created from a label set, answered by its teacher alone) have no
--    student_label and no confidence: NULL, where 0001 stored '' and 0.
-- 2. One row per example id still, but the row is the most informative record of the text, not the
--    first: the consumer writes INSERT ... ON CONFLICT(id) DO UPDATE ... WHERE the new record's route
--    ranks higher (teacher > audit > cache > degraded; src/gateway/hard-example-log/storage.ts), so a
--    text first logged as degraded is indexed with the teacher's label once the teacher answers it.
CREATE TABLE hard_examples_v3 (
  -- SHA-256 (hex) of model name and normalised (redacted) text.
  id TEXT PRIMARY KEY NOT NULL,
  -- When the request was answered: ISO 8601 UTC as toISOString() writes it (fixed width, so text order
  -- is time order).
  ts TEXT NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  route TEXT NOT NULL CHECK (route IN ('teacher', 'degraded', 'cache', 'audit')),
  -- NULL when the model had no student (the teacher answered alone).
  student_label TEXT,
  -- NULL when the teacher did not answer (route degraded).
  teacher_label TEXT,
  -- The student's calibrated confidence in student_label; NULL exactly when student_label is.
  confidence REAL CHECK (confidence >= 0 AND confidence <= 1),
  -- hard-examples/{model}/{yyyy-mm-dd}/{batchId}.jsonl
  r2_key TEXT NOT NULL,
  CHECK ((student_label IS NULL) = (confidence IS NULL))
);

-- Rows 0001 wrote for records without a student carry '' and 0: they become NULL.
INSERT INTO hard_examples_v3 (id, ts, model, version, route, student_label, teacher_label, confidence, r2_key)
SELECT id, ts, model, version, route,
       NULLIF(student_label, ''),
       teacher_label,
       CASE WHEN student_label = '' THEN NULL ELSE confidence END,
       r2_key
FROM hard_examples;

DROP TABLE hard_examples;
ALTER TABLE hard_examples_v3 RENAME TO hard_examples;

-- The export reads one model's records in time order (model, since, limit).
CREATE INDEX IF NOT EXISTS hard_examples_model_ts ON hard_examples (model, ts);
-- Filters and counts by route (e.g. the audit sample for live accuracy).
CREATE INDEX IF NOT EXISTS hard_examples_route ON hard_examples (route);
