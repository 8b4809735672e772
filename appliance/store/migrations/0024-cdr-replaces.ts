import type { Migration } from './index.js';

/**
 * Migration 24: CDR transfers of kind 'replaces' (calls/replaces.ts, RFC 3891 INVITE with
 * Replaces received from a phone: call pickup of a ringing leg, or a phone taking over a
 * confirmed leg). SQLite cannot change a CHECK in place, so the table is rebuilt with its rows
 * (same columns as migration 19):
 *   transferor_leg  the replaced leg (cancelled or sent BYE);
 *   transferee_leg  the party that stayed (the caller of a picked-up call);
 *   target_leg      the new leg that took the replaced one's place; target its phone's number.
 */
export const m0024_cdr_replaces: Migration = {
  version: 24,
  name: 'calls: replaces in CDR transfers',
  up: `
CREATE TABLE cdr_transfers_v24 (
  call_id          TEXT NOT NULL REFERENCES cdrs(call_id) ON DELETE CASCADE,
  position         INTEGER NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('blind', 'attended', 'replaces')),
  at               INTEGER NOT NULL,
  transferor_leg   TEXT NOT NULL,
  transferee_leg   TEXT,
  target_leg       TEXT,
  target           TEXT NOT NULL,
  replaced_call_id TEXT,
  outcome          INTEGER NOT NULL,
  PRIMARY KEY (call_id, position)
) STRICT;
INSERT INTO cdr_transfers_v24 SELECT call_id, position, kind, at, transferor_leg, transferee_leg, target_leg, target, replaced_call_id, outcome FROM cdr_transfers;
DROP TABLE cdr_transfers;
ALTER TABLE cdr_transfers_v24 RENAME TO cdr_transfers;
`,
};
