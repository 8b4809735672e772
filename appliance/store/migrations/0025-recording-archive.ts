import type { Migration } from './index.js';

/**
 * Migration 25: the Opus (Ogg) archive of call recordings (issue 4 "Recording": "Optional Opus
 * (Ogg) archive transcoding in the background"; media/archive/opus-archive.ts). One row per
 * recording the archiver has dealt with:
 *   archived  the .opus copy is final (fsynced, renamed) with its size and hash
 *   failed    the WAV could not be transcoded (reason kept; retried after `retry_after`)
 * `wav_pruned_at` is set when the recording volume, full under the overwrite-oldest-archived
 * policy, deleted the WAV because this archive copy exists (media/recorder/recording-volume.ts).
 */
export const m0025_recording_archive: Migration = {
  version: 25,
  name: 'media: recording archive (Opus)',
  up: `
CREATE TABLE recording_archives (
  recording_id   TEXT PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,
  state          TEXT NOT NULL CHECK (state IN ('archived', 'failed')),
  path           TEXT,
  size           INTEGER,
  sha256         TEXT,
  bitrate_kbps   INTEGER NOT NULL,
  reason         TEXT,
  archived_at    INTEGER NOT NULL,
  retry_after    INTEGER,
  wav_pruned_at  INTEGER
) STRICT;
CREATE INDEX recording_archives_prunable ON recording_archives(archived_at) WHERE state = 'archived' AND wav_pruned_at IS NULL;
CREATE INDEX recordings_closed ON recordings(closed_at) WHERE state = 'complete';
`,
};
