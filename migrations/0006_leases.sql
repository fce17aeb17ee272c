-- Leases (src/gateway/admin/leases): one row per model while a process holds its lease, e.g. the toolkit's
-- `npm run loop`, so two loops (on any machines) never re-distil and publish the same model at once. D1
-- runs each statement alone against one primary, so the conditional upsert that takes a lease is atomic.
CREATE TABLE IF NOT EXISTS leases (
  model TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  -- Epoch milliseconds: when the holder took it, and when it lapses unless renewed.
  acquired_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
