import type { Migration } from './index.js';

/**
 * Saved custom reports (appliance/reports): a definition is validated JSON (reports/definition.ts:
 * dataset, dimensions and measures from allow-lists, filters, range, chart), never SQL. The
 * owner is a panel user id; `report_shares` lists the roles that may also run it.
 */
export const m0013_reports: Migration = {
  version: 13,
  name: 'saved custom reports',
  up: `
CREATE TABLE report_definitions (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  owner      TEXT NOT NULL,
  definition TEXT NOT NULL CHECK (json_valid(definition)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  version    INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX report_definitions_owner ON report_definitions(owner);

CREATE TABLE report_shares (
  report_id TEXT NOT NULL REFERENCES report_definitions(id) ON DELETE CASCADE,
  role_id   TEXT NOT NULL,
  PRIMARY KEY (report_id, role_id)
) STRICT;
CREATE INDEX report_shares_role ON report_shares(role_id);
`,
};
