import type { Migration } from './index.js';

/**
 * Call control (appliance/calls):
 *   call_routes  the inbound dialplan: a called-number (DID) pattern and an optional caller
 *                pattern → an IVR flow, a queue or an extension, tried by priority (lowest
 *                first). Patterns are checked by calls/dialplan.ts (the same zod schema as the
 *                REST body); target_kind equals RouteTargetKinds there.
 *   cdrs         one row per call: who called whom, when it started / was answered / ended, the
 *                Q.850 cause and which side cleared, where routing sent it.
 *   cdr_legs     every leg of the call (inbound caller leg, extension legs…) with its own times,
 *                cause, codec and RTP quality (MOS, loss, jitter from the media engine).
 */
export const m0011_calls: Migration = {
  version: 11,
  name: 'calls: dialplan and CDRs',
  up: `
CREATE TABLE call_routes (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  priority       INTEGER NOT NULL DEFAULT 100,
  did_pattern    TEXT NOT NULL,
  caller_pattern TEXT,
  target_kind    TEXT NOT NULL CHECK (target_kind IN ('ivr', 'queue', 'extension')),
  target         TEXT NOT NULL,
  enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX call_routes_priority ON call_routes(priority, id);

CREATE TABLE cdrs (
  call_id      TEXT PRIMARY KEY,
  direction    TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
  caller       TEXT NOT NULL,
  called       TEXT NOT NULL,
  route_id     TEXT,
  target_kind  TEXT CHECK (target_kind IS NULL OR target_kind IN ('ivr', 'queue', 'extension')),
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
CREATE INDEX cdrs_started ON cdrs(started_at);

CREATE TABLE cdr_legs (
  call_id      TEXT NOT NULL REFERENCES cdrs(call_id) ON DELETE CASCADE,
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
`,
};
