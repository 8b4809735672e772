import type { Migration } from './index.js';

/**
 * SIP trunks and outbound routing (issue 3 "Trunks", "Routing", "SIP security"):
 *   sip_trunks          one carrier trunk each: its configuration as JSON checked by
 *                       sip/trunks/trunk-schema.ts (the same zod schema as the REST body) —
 *                       host/port/transport, registration or IP authentication, the inbound
 *                       source ACL, channel limit, codec order, caller-ID policy, qualify.
 *   outbound_routes     number pattern → ordered gateway ids, digit manipulation and the
 *                       toll-fraud guards, JSON checked by calls/outbound-routes.ts; tried by
 *                       priority (lowest first).
 *   class_of_service    what an extension may dial out to (internal < local < national <
 *                       international); an extension without a row is `internal` (no trunk).
 */
export const m0017_trunks: Migration = {
  version: 17,
  name: 'sip trunks, outbound routes, class of service',
  up: `
CREATE TABLE sip_trunks (
  id          TEXT PRIMARY KEY,
  config      TEXT NOT NULL,
  enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE outbound_routes (
  id          TEXT PRIMARY KEY,
  priority    INTEGER NOT NULL DEFAULT 100,
  config      TEXT NOT NULL,
  enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX outbound_routes_priority ON outbound_routes(priority, id);

CREATE TABLE class_of_service (
  extension   TEXT PRIMARY KEY,
  class       TEXT NOT NULL CHECK (class IN ('internal', 'local', 'national', 'international')),
  updated_at  INTEGER NOT NULL
) STRICT;
`,
};
