import type { Migration } from './index.js';

/**
 * Customer history and knowledge sending (issue 8 "Customers … history (calls, work orders,
 * surveys)"; "Knowledge base … send an article to a customer by fax/SMS/e-mail through
 * pluggable senders"):
 *   cdrs_caller / cdrs_called  a customer's calls are found by the spellings of their phone
 *                              numbers (customers/history.ts), newest first, without a scan.
 *   kb_deliveries              one row per article sent: channel, recipient, the version sent,
 *                              status (pending → sent | failed), the sender's reference (SMS
 *                              message ids, SMTP queue id, fax job id) and the error.
 *                              channel equals SendChannels, status DeliveryStatuses in
 *                              knowledge/sending.ts.
 *   fax_jobs                   outgoing faxes waiting for the telephony side (status pending
 *                              until a fax sender picks them up); the document is the text to
 *                              render. status equals FaxJobStatuses in integrations/senders/fax-outbox.ts.
 */
export const m0022_customer_history_deliveries: Migration = {
  version: 22,
  name: 'customer history indexes, article deliveries, fax jobs',
  up: `
CREATE INDEX cdrs_caller ON cdrs(caller, started_at);
CREATE INDEX cdrs_called ON cdrs(called, started_at);

CREATE TABLE kb_deliveries (
  id              TEXT PRIMARY KEY,
  article_id      TEXT NOT NULL REFERENCES kb_articles(id),
  article_version INTEGER NOT NULL,
  channel         TEXT NOT NULL CHECK (channel IN ('sms', 'email', 'fax')),
  recipient       TEXT NOT NULL,
  customer_id     TEXT,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  provider_ref    TEXT,
  parts           INTEGER,
  error           TEXT,
  requested_by    TEXT NOT NULL,
  requested_at    INTEGER NOT NULL,
  completed_at    INTEGER
) STRICT;
CREATE INDEX kb_deliveries_article ON kb_deliveries(article_id, requested_at);
CREATE INDEX kb_deliveries_customer ON kb_deliveries(customer_id, requested_at) WHERE customer_id IS NOT NULL;

CREATE TABLE fax_jobs (
  id          TEXT PRIMARY KEY,
  recipient   TEXT NOT NULL,
  subject     TEXT NOT NULL,
  document    TEXT NOT NULL,
  source      TEXT NOT NULL,
  source_ref  TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  error       TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX fax_jobs_status ON fax_jobs(status, created_at);
`,
};
