import type { Migration } from './index.js';

/**
 * ACD (appliance/acd): agents' current status/state, callback-in-queue requests, the raw
 * append-only event log every metric is recomputed from, and stored interval aggregates.
 * The CHECK lists equal the `as const` arrays in acd/model.ts and acd/store-port.ts.
 */
export const m0006_acd: Migration = {
  version: 6,
  name: 'acd agents, callbacks, event log and interval stats',
  up: `
CREATE TABLE acd_agent_states (
  agent_id     TEXT PRIMARY KEY,
  status       TEXT NOT NULL CHECK (status IN ('logged-out', 'available', 'on-break')),
  break_reason TEXT,
  state        TEXT NOT NULL CHECK (state IN ('idle', 'offered', 'in-call', 'wrap-up', 'outbound')),
  updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE acd_callbacks (
  id              TEXT PRIMARY KEY,
  queue_id        TEXT NOT NULL,
  call_id         TEXT NOT NULL,
  number          TEXT NOT NULL,
  tier            TEXT NOT NULL CHECK (tier IN ('standard', 'large-customer', 'vip', 'critical-load')),
  priority        INTEGER NOT NULL,
  requested_at    INTEGER NOT NULL,
  expires_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'in-progress', 'completed', 'expired', 'failed')),
  agent_id        TEXT,
  updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX acd_callbacks_open ON acd_callbacks(status) WHERE status IN ('pending', 'in-progress');

-- The raw event log: every agent and caller change, append-only.
CREATE TABLE acd_events (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  id       TEXT NOT NULL UNIQUE,
  at       INTEGER NOT NULL,
  type     TEXT NOT NULL,
  queue_id TEXT,
  agent_id TEXT,
  call_id  TEXT,
  payload  TEXT NOT NULL
) STRICT;
CREATE INDEX acd_events_at ON acd_events(at);
CREATE INDEX acd_events_call ON acd_events(call_id);

CREATE TABLE acd_interval_stats (
  queue_id           TEXT NOT NULL,
  interval_start     INTEGER NOT NULL,
  interval_ms        INTEGER NOT NULL CHECK (interval_ms > 0),
  service_level_ms   INTEGER NOT NULL,
  short_abandon_ms   INTEGER NOT NULL,
  offered            INTEGER NOT NULL,
  answered           INTEGER NOT NULL,
  answered_within    INTEGER NOT NULL,
  abandoned          INTEGER NOT NULL,
  abandoned_within   INTEGER NOT NULL,
  abandoned_short    INTEGER NOT NULL,
  callbacks          INTEGER NOT NULL,
  callbacks_within   INTEGER NOT NULL,
  overflowed         INTEGER NOT NULL,
  sum_answer_wait_ms INTEGER NOT NULL,
  max_answer_wait_ms INTEGER NOT NULL,
  handled            INTEGER NOT NULL,
  talk_ms            INTEGER NOT NULL,
  hold_ms            INTEGER NOT NULL,
  acw_ms             INTEGER NOT NULL,
  agents_required    INTEGER,
  PRIMARY KEY (queue_id, interval_ms, interval_start)
) STRICT;
`,
};
