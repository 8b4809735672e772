import type { Migration } from './index.js';

/**
 * Migration 19: transfers in CDRs (calls/transfer.ts, RFC 3515 REFER from phones). One row per
 * transfer a call took part in, in the order they happened:
 *   kind               'blind' (REFER to a number) or 'attended' (REFER with Replaces, RFC 3891);
 *   transferor_leg     the leg whose phone sent the REFER (it leaves the call);
 *   transferee_leg     the party that stayed and was bridged with the target;
 *   target_leg         the target's leg (a new leg of this call for blind; the consultation
 *                      call's leg for attended — its own CDR row is in `replaced_call_id`);
 *   target             the number transferred to; outcome the final status of the NOTIFY
 *                      (200 on success, the target's failure status otherwise).
 */
export const m0019_call_transfers: Migration = {
  version: 19,
  name: 'calls: transfers in CDRs',
  up: `
CREATE TABLE cdr_transfers (
  call_id          TEXT NOT NULL REFERENCES cdrs(call_id) ON DELETE CASCADE,
  position         INTEGER NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('blind', 'attended')),
  at               INTEGER NOT NULL,
  transferor_leg   TEXT NOT NULL,
  transferee_leg   TEXT,
  target_leg       TEXT,
  target           TEXT NOT NULL,
  replaced_call_id TEXT,
  outcome          INTEGER NOT NULL,
  PRIMARY KEY (call_id, position)
) STRICT;
`,
};
