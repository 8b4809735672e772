import type { Migration } from './index.js';

/**
 * ACD configuration (appliance/acd): queues, agents and their queue memberships, so the
 * operator's set-up survives a restart (0006 holds only state, callbacks, events and stats).
 * A queue's full QueueConfig (strategy, timers, overflow, skill steps, callback and announcement
 * settings) is one JSON document checked by acd/acd-schemas.ts on the way in and on load; the
 * strategy is a column too so the CHECK equals the `as const` list in acd/model.ts.
 * Memberships are rows (agent, queue, penalty, per-queue wrap-up) that go with either side.
 */
export const m0009_acd_config: Migration = {
  version: 9,
  name: 'acd queues, agents and memberships',
  up: `
CREATE TABLE acd_queues (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  strategy   TEXT NOT NULL CHECK (strategy IN ('ring-all', 'least-recent', 'fewest-calls', 'rr-memory', 'linear', 'random', 'skills-based')),
  config     TEXT NOT NULL CHECK (json_valid(config)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE acd_agents (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  skills     TEXT NOT NULL CHECK (json_valid(skills)),  -- {"billing": 4, …}: proficiency 1–5
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE acd_memberships (
  agent_id   TEXT NOT NULL REFERENCES acd_agents(id) ON DELETE CASCADE,
  queue_id   TEXT NOT NULL REFERENCES acd_queues(id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,                          -- order in the agent's list
  penalty    INTEGER NOT NULL CHECK (penalty >= 0),
  wrap_up_ms INTEGER CHECK (wrap_up_ms IS NULL OR wrap_up_ms >= 0),
  PRIMARY KEY (agent_id, queue_id)
) STRICT;
CREATE INDEX acd_memberships_queue ON acd_memberships(queue_id);
`,
};
