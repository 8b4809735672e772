import type { Migration } from './index.js';

export const m0002_api_keys: Migration = {
  version: 2,
  name: 'api keys for integrators',
  up: `
-- The secret is never stored: only its SHA-256 (keys are 32 random bytes, so a fast hash is
-- enough; there is nothing to brute-force). 'prefix' is shown to operators to tell keys apart.
CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  secret_hash  TEXT NOT NULL UNIQUE,
  scopes       TEXT NOT NULL,            -- JSON array of scope names
  created_at   INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
) STRICT;
`,
};
