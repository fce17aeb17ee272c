-- Answer counts for /admin/stats (teacher rate per hour, volume per endpoint, the score histogram).
-- Each gateway isolate aggregates its answers in memory and flushes them as one "usage" message on the
-- hard-examples queue every few seconds; the queue consumer writes a message's rows here with
-- INSERT ... ON CONFLICT DO NOTHING. flush_id is unique per message, so a redelivered message adds
-- nothing twice, and counts are summed at read time.
CREATE TABLE IF NOT EXISTS usage_counts (
  flush_id TEXT NOT NULL,
  -- The UTC hour of the answers: the first 13 characters of toISOString(), e.g. 2026-11-29T11, the same
  -- as substr(hard_examples.ts, 1, 13).
  hour TEXT NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  endpoint TEXT NOT NULL CHECK (endpoint IN ('v1', 'v2')),
  -- Who gave the answer: the confident student, the teacher, the teacher's cache, or the student
  -- because the teacher failed (degraded).
  source TEXT NOT NULL CHECK (source IN ('student', 'teacher', 'cache', 'degraded')),
  -- Answers (one per text, so a batch of 8 texts counts 8).
  n INTEGER NOT NULL CHECK (n > 0),
  PRIMARY KEY (flush_id, hour, model, version, endpoint, source)
);
CREATE INDEX IF NOT EXISTS usage_counts_model_hour ON usage_counts (model, hour);

-- The student's routing score (the manifest's score kind, in [0, 1]) in 20 equal bins, bin =
-- min(19, floor(score * 20)), for the confidence histogram with the threshold marked.
CREATE TABLE IF NOT EXISTS usage_scores (
  flush_id TEXT NOT NULL,
  hour TEXT NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  bin INTEGER NOT NULL CHECK (bin >= 0 AND bin < 20),
  n INTEGER NOT NULL CHECK (n > 0),
  PRIMARY KEY (flush_id, hour, model, version, bin)
);
CREATE INDEX IF NOT EXISTS usage_scores_model_hour ON usage_scores (model, hour);
