import type { Migration } from './index.js';

/**
 * Migration 16: the dialplan's `diagnostic` target (calls/diagnostic.ts: answer-hangup, echo,
 * echo-record, answer-silence test lines) joins ivr / queue / extension in the target_kind
 * CHECKs of `call_routes` and `cdrs` (calls/dialplan.ts RouteTargetKinds).
 *
 * SQLite cannot alter a CHECK, so both tables are rebuilt (https://www.sqlite.org/lang_altertable.html
 * §7 "Making Other Kinds Of Table Schema Changes"). Foreign keys stay on inside the migration's
 * transaction, so dropping `cdrs` would cascade into `cdr_legs`: the legs are copied into a new
 * table that references the new `cdrs` first, the old child is dropped before the old parent,
 * and the RENAME rewrites the reference (legacy_alter_table is off).
 */
export const m0016_diagnostic_routes: Migration = {
  version: 16,
  name: 'calls: diagnostic route targets',
  up: `
CREATE TABLE call_routes_new (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  priority       INTEGER NOT NULL DEFAULT 100,
  did_pattern    TEXT NOT NULL,
  caller_pattern TEXT,
  target_kind    TEXT NOT NULL CHECK (target_kind IN ('ivr', 'queue', 'extension', 'diagnostic')),
  target         TEXT NOT NULL,
  enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;
INSERT INTO call_routes_new SELECT id, name, priority, did_pattern, caller_pattern, target_kind, target, enabled, created_at, updated_at FROM call_routes;
DROP TABLE call_routes;
ALTER TABLE call_routes_new RENAME TO call_routes;
CREATE INDEX call_routes_priority ON call_routes(priority, id);

CREATE TABLE cdrs_new (
  call_id      TEXT PRIMARY KEY,
  direction    TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
  caller       TEXT NOT NULL,
  called       TEXT NOT NULL,
  route_id     TEXT,
  target_kind  TEXT CHECK (target_kind IS NULL OR target_kind IN ('ivr', 'queue', 'extension', 'diagnostic')),
  target       TEXT,
  started_at   INTEGER NOT NULL,
  answered_at  INTEGER,
  ended_at     INTEGER NOT NULL,
  duration_ms  INTEGER NOT NULL,
  billsec_ms   INTEGER NOT NULL,
  cause        INTEGER NOT NULL,
  ended_by     TEXT NOT NULL CHECK (ended_by IN ('local', 'remote')),
  legs         INTEGER NOT NULL
) STRICT;
INSERT INTO cdrs_new SELECT call_id, direction, caller, called, route_id, target_kind, target, started_at, answered_at, ended_at, duration_ms, billsec_ms, cause, ended_by, legs FROM cdrs;

CREATE TABLE cdr_legs_new (
  call_id      TEXT NOT NULL REFERENCES cdrs_new(call_id) ON DELETE CASCADE,
  leg_id       TEXT NOT NULL,
  position     INTEGER NOT NULL,
  tech         TEXT NOT NULL CHECK (tech IN ('sip', 'tdm', 'analog', 'internal')),
  direction    TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  party        TEXT NOT NULL,
  codec        TEXT,
  created_at   INTEGER NOT NULL,
  answered_at  INTEGER,
  ended_at     INTEGER NOT NULL,
  cause        INTEGER NOT NULL,
  ended_by     TEXT NOT NULL CHECK (ended_by IN ('local', 'remote')),
  mos          REAL,
  packets_lost INTEGER,
  jitter_ms    REAL,
  PRIMARY KEY (call_id, leg_id)
) STRICT;
INSERT INTO cdr_legs_new SELECT call_id, leg_id, position, tech, direction, party, codec, created_at, answered_at, ended_at, cause, ended_by, mos, packets_lost, jitter_ms FROM cdr_legs;

DROP TABLE cdr_legs;
DROP TABLE cdrs;
ALTER TABLE cdrs_new RENAME TO cdrs;
ALTER TABLE cdr_legs_new RENAME TO cdr_legs;
CREATE INDEX cdrs_started ON cdrs(started_at);
`,
};
