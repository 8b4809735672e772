import type { Migration } from './index.js';

/**
 * IVR (appliance/ivr): versioned flows (draft → published → retired, at most one draft and one
 * published version per flow; rollback republishes a retired version) and per-day node
 * traffic counted from ivr.node.visited / ivr.flow.abandoned events, for path-traffic and
 * "where callers leave" reports. The status CHECK equals FlowStatuses in ivr/flow-store.ts.
 */
export const m0007_ivr: Migration = {
  version: 7,
  name: 'ivr flows and node traffic',
  up: `
CREATE TABLE ivr_flows (
  flow_id      TEXT NOT NULL,
  version      INTEGER NOT NULL CHECK (version >= 1),
  name         TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
  definition   TEXT NOT NULL,      -- JSON, valid against ivr/flow-schema.ts when stored
  created_at   INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  updated_at   INTEGER NOT NULL,
  published_at INTEGER,
  published_by TEXT,
  PRIMARY KEY (flow_id, version)
) STRICT;
CREATE UNIQUE INDEX ivr_flows_one_published ON ivr_flows(flow_id) WHERE status = 'published';
CREATE UNIQUE INDEX ivr_flows_one_draft ON ivr_flows(flow_id) WHERE status = 'draft';

CREATE TABLE ivr_node_traffic (
  day       TEXT NOT NULL,         -- YYYY-MM-DD, appliance local time
  flow_id   TEXT NOT NULL,
  version   INTEGER NOT NULL,
  node_id   TEXT NOT NULL,
  visits    INTEGER NOT NULL DEFAULT 0,
  abandons  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, flow_id, version, node_id)
) STRICT;
`,
};
