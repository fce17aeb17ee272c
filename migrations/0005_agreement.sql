-- The evidence for shadows and canaries (src/gateway/evidence): per model version, how often its
-- student agreed with the teacher on the texts the teacher answered. Sent by the gateway as one
-- "agreement" message per request on the hard-examples queue and written here by the queue consumer
-- with INSERT ... ON CONFLICT DO NOTHING: message_id is unique per message, so a redelivered message
-- adds nothing twice, and counts are summed at read time.
CREATE TABLE IF NOT EXISTS agreement_counts (
  message_id TEXT NOT NULL,
  -- The UTC hour of the answers, as usage_counts.hour (2026-11-29T11).
  hour TEXT NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  -- served: the version answered the request (live or canary); shadow: it ran beside the live one.
  role TEXT NOT NULL CHECK (role IN ('served', 'shadow')),
  -- Where the teacher's label came from: an escalated text, or the audit sample of confident answers.
  source TEXT NOT NULL CHECK (source IN ('escalated', 'audit')),
  agree INTEGER NOT NULL CHECK (agree >= 0),
  n INTEGER NOT NULL CHECK (n > 0 AND agree <= n),
  PRIMARY KEY (message_id, version, role, source)
);
CREATE INDEX IF NOT EXISTS agreement_counts_model_hour ON agreement_counts (model, hour);
