import type { Migration } from './index.js';

export const m0003_webhooks: Migration = {
  version: 3,
  name: 'webhook subscriptions and durable delivery queue',
  up: `
CREATE TABLE webhook_subscriptions (
  id          TEXT PRIMARY KEY,
  url         TEXT NOT NULL,
  event_types TEXT NOT NULL,             -- JSON array; '*' = every event
  secret      TEXT NOT NULL,             -- HMAC key (needed in clear to sign)
  description TEXT NOT NULL DEFAULT '',
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

-- One row per (event, subscription). Queued in the same transaction as nothing else, so a
-- crash after the insert loses nothing; 'delivering' rows found at start go back to 'pending'.
CREATE TABLE webhook_deliveries (
  id              TEXT PRIMARY KEY,
  subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
  event_id        TEXT NOT NULL,
  event_type      TEXT NOT NULL,
  payload         TEXT NOT NULL,          -- the exact JSON body that is signed and sent
  status          TEXT NOT NULL CHECK (status IN ('pending', 'delivering', 'delivered', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_status     INTEGER,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  delivered_at    INTEGER,
  UNIQUE (subscription_id, event_id)
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
`,
};
