import type { Migration } from './index.js';

/**
 * Migration 21: IVR voicemail (留言) and the post-call survey setting (issue 7 "voicemail (留言:
 * record a message that becomes a work order)"; "Post-call survey: … it follows automatically
 * when the agent hangs up (per queue)"; appliance/ivr/voicemail-box.ts, postcall-survey.ts).
 *
 * voicemail_messages: one row per message a caller left — the call, the caller's number and
 * account (when the flow knew it), the recording file and its ledger row (`recordings`), how the
 * message ended (`key` #, `max` length, `hangup`), and the work order it became once the
 * subscriber created it (`work_order_id`, or `work_order_error` when that failed: the message is
 * kept either way, never lost).
 *
 * ivr_postcall_surveys: per queue, the published flow run on the caller's leg when the AGENT
 * hangs up first.
 */
export const m0021_ivr_voicemail: Migration = {
  version: 21,
  name: 'ivr voicemail messages and post-call survey setting',
  up: `
CREATE TABLE voicemail_messages (
  id               TEXT PRIMARY KEY,
  call_id          TEXT NOT NULL,
  caller           TEXT NOT NULL,
  account_no       TEXT,
  order_type       TEXT NOT NULL,
  recording_path   TEXT NOT NULL,
  recording_id     TEXT,
  duration_ms      INTEGER NOT NULL CHECK (duration_ms >= 0),
  ended_by         TEXT NOT NULL CHECK (ended_by IN ('key', 'max', 'hangup', 'silence', 'stopped')),
  vars             TEXT NOT NULL,   -- JSON object of the flow's variables
  created_at       INTEGER NOT NULL,
  work_order_id    TEXT,
  work_order_error TEXT
) STRICT;
CREATE INDEX voicemail_messages_call ON voicemail_messages(call_id);
CREATE INDEX voicemail_messages_created ON voicemail_messages(created_at);
CREATE TABLE ivr_postcall_surveys (
  queue_id    TEXT PRIMARY KEY,
  flow_id     TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;
`,
};
