import type { Migration } from './index.js';

/**
 * Migration 20: the call-recording ledger (appliance/media/recorder/ledger.ts; issue 4
 * "Recording": "its row (call id, legs, duration, sha256) committed when closed; a file left
 * open by a crash is repaired (header fixed) and registered at next start ... never a silent
 * loss"). A row is written when a recording starts (state 'open', with its legs and final
 * path) and completed when the file is closed, fsynced and renamed (sha256, size, duration,
 * pause marks). At start, rows still 'open' are settled from what the disk holds:
 *   complete     closed normally (or the file was already final when the process died)
 *   failed       stopped by a write error (ENOSPC…) or a file whose header was unreadable
 *   interrupted  left open by a crash and repaired at the next start
 *   lost         the row says a recording existed and no file is left (reported, not hidden)
 * `marks` is a JSON array of paused spans {fromMs,toMs}; `pause_from_ms` is a pause still
 * open, so a crash during a pause keeps the span.
 */
export const m0020_recordings: Migration = {
  version: 20,
  name: 'media: recording ledger',
  up: `
CREATE TABLE recordings (
  id             TEXT PRIMARY KEY,
  call_id        TEXT NOT NULL,
  path           TEXT NOT NULL UNIQUE,
  legs           TEXT NOT NULL DEFAULT '[]',
  encoding       TEXT NOT NULL CHECK (encoding IN ('alaw', 'pcm16')),
  state          TEXT NOT NULL CHECK (state IN ('open', 'complete', 'failed', 'interrupted', 'lost')),
  reason         TEXT,
  started_at     INTEGER NOT NULL,
  closed_at      INTEGER,
  duration_ms    INTEGER,
  size           INTEGER,
  sha256         TEXT,
  marks          TEXT NOT NULL DEFAULT '[]',
  pause_from_ms  INTEGER
) STRICT;
CREATE INDEX recordings_call ON recordings(call_id);
CREATE INDEX recordings_open ON recordings(state) WHERE state = 'open';
`,
};
