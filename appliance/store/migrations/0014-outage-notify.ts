import type { Migration } from './index.js';

/**
 * Outage "notify me when power is restored" requests (appliance/integrations/outage-notify-store.ts),
 * registered by callers from the IVR's outage announcement (ivr/verbs/outage.ts) for the
 * outbound notice. One request per caller and outage; the status CHECK equals
 * NotifyStatuses in outage-notify-store.ts.
 */
export const m0014_outage_notify: Migration = {
  version: 14,
  name: 'outage notify requests',
  up: `
CREATE TABLE outage_notify_requests (
  id           TEXT PRIMARY KEY,
  outage_id    TEXT NOT NULL,
  caller       TEXT NOT NULL,
  area         TEXT NOT NULL,
  account_no   TEXT,
  call_id      TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('pending', 'notified', 'cancelled')),
  created_at   INTEGER NOT NULL,
  notified_at  INTEGER,
  UNIQUE (outage_id, caller)
) STRICT;
CREATE INDEX outage_notify_pending ON outage_notify_requests(outage_id) WHERE status = 'pending';
`,
};
