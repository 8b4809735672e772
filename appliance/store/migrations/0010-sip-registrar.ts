import type { Migration } from './index.js';

/**
 * SIP registrar (appliance/sip/registrar) and SIP security (appliance/sip/security):
 *   sip_extensions  agents' phone accounts: number (the AOR user part), display name, auth user,
 *                   and the password only as H(A1) for MD5 and SHA-256 (RFC 7616 §3.4.2) under the
 *                   realm it was computed for; never the clear password.
 *   sip_bindings    REGISTER bindings (RFC 3261 §10.3), one row per (AOR, contact), with the
 *                   Call-ID/CSeq that last changed it, the absolute expiry and the address the
 *                   REGISTER came from (NAT: requests go there, not to the Contact host), so a
 *                   restart keeps every phone reachable (RELIABILITY.md D1).
 *   sip_bans        temporary IP bans (S4, S9), persisted so a restart does not lift them.
 */
export const m0010_sip_registrar: Migration = {
  version: 10,
  name: 'sip registrar and security',
  up: `
CREATE TABLE sip_extensions (
  number       TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  auth_user    TEXT NOT NULL UNIQUE,
  realm        TEXT NOT NULL,
  ha1_md5      TEXT NOT NULL CHECK (length(ha1_md5) = 32),
  ha1_sha256   TEXT NOT NULL CHECK (length(ha1_sha256) = 64),
  enabled      INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  max_contacts INTEGER NOT NULL DEFAULT 5 CHECK (max_contacts BETWEEN 1 AND 50),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE sip_bindings (
  aor           TEXT NOT NULL REFERENCES sip_extensions(number) ON DELETE CASCADE,
  contact_key   TEXT NOT NULL,                 -- normalised contact URI (RFC 3261 §19.1.4 comparison)
  contact       TEXT NOT NULL,                 -- the Contact value as sent (name-addr with params)
  call_id       TEXT NOT NULL,
  cseq          INTEGER NOT NULL,
  q             REAL CHECK (q IS NULL OR (q >= 0 AND q <= 1)),
  expires_at    INTEGER NOT NULL,
  registered_at INTEGER NOT NULL,
  protocol      TEXT NOT NULL CHECK (protocol IN ('udp', 'tcp', 'tls')),
  source_host   TEXT NOT NULL,
  source_port   INTEGER NOT NULL,
  connection_id TEXT,
  user_agent    TEXT,
  PRIMARY KEY (aor, contact_key)
) STRICT;
CREATE INDEX sip_bindings_expiry ON sip_bindings(expires_at);

CREATE TABLE sip_bans (
  ip     TEXT PRIMARY KEY,
  reason TEXT NOT NULL CHECK (reason IN ('flood', 'auth-failures', 'manual')),
  since  INTEGER NOT NULL,
  until  INTEGER NOT NULL
) STRICT;
`,
};
