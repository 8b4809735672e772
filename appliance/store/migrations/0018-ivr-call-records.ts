import type { Migration } from './index.js';

/**
 * What the IVR carries into the call record (issue 7 "variables carried into the call record";
 * appliance/ivr/call-records.ts): one row per call's IVR run — flow and version, outcome, the
 * node path, the variables, the queue it reached — and post-call survey scores (1–5 per
 * question) stored with the call. The outcome CHECK equals IvrOutcomes in ivr/events.ts plus
 * `abandoned`.
 */
export const m0018_ivr_call_records: Migration = {
  version: 18,
  name: 'ivr call records and survey scores',
  up: `
CREATE TABLE ivr_call_records (
  call_id       TEXT NOT NULL,
  flow_id       TEXT NOT NULL,
  flow_version  INTEGER NOT NULL,
  outcome       TEXT NOT NULL CHECK (outcome IN ('ended', 'hungup', 'enqueued', 'transferred', 'voicemail', 'failed', 'abandoned')),
  last_node     TEXT,
  path          TEXT NOT NULL,   -- JSON array of node ids
  vars          TEXT NOT NULL,   -- JSON object of the flow's variables
  queue         TEXT,
  duration_ms   INTEGER NOT NULL,
  ended_at      INTEGER NOT NULL,
  PRIMARY KEY (call_id, flow_id, ended_at)
) STRICT;
CREATE INDEX ivr_call_records_ended ON ivr_call_records(ended_at);
CREATE TABLE ivr_survey_scores (
  call_id     TEXT NOT NULL,
  survey      TEXT NOT NULL,
  question    TEXT NOT NULL,
  score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
  queue       TEXT,
  agent_id    TEXT,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (call_id, survey, question)
) STRICT;
`,
};
