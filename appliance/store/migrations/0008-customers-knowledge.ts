import type { Migration } from './index.js';

/**
 * Customers (appliance/customers) and the knowledge base (appliance/knowledge).
 *
 * Customers: profile, accounts and meters (户号/表号), contacts, phone numbers stored in their
 * normalised form (customers/phone.ts) with a covering primary key so the screen pop's caller
 * lookup is one index probe, addresses with an area code for outage matching, the corrections
 * made at the hotline (kept, exportable, shielding the corrected field from billing syncs), the
 * tier rule set, and the billing-sync cursor.
 *
 * Knowledge base: a category tree, articles with versions (every saved version is a row of
 * kb_revisions), attachments by reference, and an FTS5 index with the trigram tokenizer (Chinese
 * has no spaces between words; trigrams index every 3-character window, so a term of 3 or more
 * characters matches anywhere; shorter terms fall back to LIKE — knowledge/search.ts). Triggers
 * keep kb_fts equal to kb_articles. The CHECK lists equal the `as const` arrays in
 * customers/model.ts and knowledge/model.ts.
 */
export const m0008_customers_knowledge: Migration = {
  version: 8,
  name: 'customers, tiers, billing sync and knowledge base',
  up: `
CREATE TABLE customers (
  id            TEXT PRIMARY KEY,
  billing_ref   TEXT UNIQUE,                 -- the billing system's customer number; NULL if created at the hotline
  name          TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('residential', 'business', 'industrial', 'public', 'other')),
  vip           INTEGER NOT NULL DEFAULT 0 CHECK (vip IN (0, 1)),
  critical_load INTEGER NOT NULL DEFAULT 0 CHECK (critical_load IN (0, 1)),
  attributes    TEXT NOT NULL DEFAULT '{}',  -- JSON: monthlyKwh, voltageKv, … (tier-rule inputs)
  tier          TEXT NOT NULL DEFAULT 'standard' CHECK (tier IN ('vip', 'large', 'critical', 'standard')),
  tier_rule     TEXT,                        -- id of the rule that gave the tier; NULL = default
  notes         TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  synced_at     INTEGER,
  version       INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX customers_tier ON customers(tier);

CREATE TABLE customer_accounts (
  account_no    TEXT PRIMARY KEY,            -- 户号
  customer_id   TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  meter_no      TEXT,                        -- 表号
  status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
  arrears_cents INTEGER NOT NULL DEFAULT 0,
  monthly_kwh   REAL NOT NULL DEFAULT 0,
  address_id    TEXT,
  updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX customer_accounts_customer ON customer_accounts(customer_id);
CREATE INDEX customer_accounts_meter ON customer_accounts(meter_no) WHERE meter_no IS NOT NULL;

CREATE TABLE customer_contacts (
  id          TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  relation    TEXT NOT NULL DEFAULT ''       -- 户主, 电工, 物业 …
) STRICT;
CREATE INDEX customer_contacts_customer ON customer_contacts(customer_id);

-- number: the normalised key (customers/phone.ts): 11-digit mobile, area code without the
-- trunk 0 followed by the subscriber number, +CC… abroad, or the digits of a service number.
CREATE TABLE customer_phones (
  number      TEXT NOT NULL,
  customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  kind        TEXT NOT NULL CHECK (kind IN ('mobile', 'landline', 'service', 'international')),
  area_code   TEXT,
  contact_id  TEXT REFERENCES customer_contacts(id) ON DELETE SET NULL,
  label       TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (number, customer_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX customer_phones_customer ON customer_phones(customer_id);

-- area_code: the utility's supply-area code (行政区划 / 供电所 / 台区), matched by prefix against
-- outage areas.
CREATE TABLE customer_addresses (
  id          TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  text        TEXT NOT NULL,
  area_code   TEXT NOT NULL,
  is_primary  INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1))
) STRICT;
CREATE INDEX customer_addresses_customer ON customer_addresses(customer_id);
CREATE INDEX customer_addresses_area ON customer_addresses(area_code, customer_id);

CREATE TABLE customer_corrections (
  id          INTEGER PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  actor_ip    TEXT,
  field       TEXT NOT NULL,
  before      TEXT,                          -- JSON
  after       TEXT,                          -- JSON
  reason      TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed', 'superseded')),
  resolved_at INTEGER
) STRICT;
CREATE INDEX customer_corrections_customer ON customer_corrections(customer_id, field, status);
CREATE INDEX customer_corrections_at ON customer_corrections(at);

CREATE TABLE customer_tier_rules (
  id         INTEGER PRIMARY KEY CHECK (id = 1),  -- one rule set
  rules      TEXT NOT NULL,                        -- JSON, customers/tier.ts TierRuleSetSchema
  version    INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL
) STRICT;

CREATE TABLE billing_sync_state (
  adapter     TEXT PRIMARY KEY,
  cursor      TEXT,
  last_run_at INTEGER,
  last_ok_at  INTEGER,
  last_error  TEXT
) STRICT;

CREATE TABLE kb_categories (
  id         TEXT PRIMARY KEY,
  parent_id  TEXT REFERENCES kb_categories(id),
  name       TEXT NOT NULL,
  sort       INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  UNIQUE (parent_id, name)
) STRICT;

CREATE TABLE kb_articles (
  seq           INTEGER PRIMARY KEY,         -- rowid, shared with kb_fts
  id            TEXT NOT NULL UNIQUE,
  category_id   TEXT REFERENCES kb_categories(id),
  title         TEXT NOT NULL,
  body          TEXT NOT NULL,
  tags          TEXT NOT NULL DEFAULT '',    -- space-separated, for the index; JSON list is in kb_revisions
  status        TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
  visibility    TEXT NOT NULL DEFAULT 'internal' CHECK (visibility IN ('internal', 'public')),
  department_id TEXT,
  valid_from    INTEGER,
  valid_to      INTEGER,
  version       INTEGER NOT NULL DEFAULT 1,
  published_version INTEGER,
  hits          INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  created_by    TEXT NOT NULL,
  updated_at    INTEGER NOT NULL,
  updated_by    TEXT NOT NULL,
  published_at  INTEGER
) STRICT;
CREATE INDEX kb_articles_category ON kb_articles(category_id, status);
CREATE INDEX kb_articles_status ON kb_articles(status, updated_at);

CREATE TABLE kb_revisions (
  article_id TEXT NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
  version    INTEGER NOT NULL,
  title      TEXT NOT NULL,
  body       TEXT NOT NULL,
  tags       TEXT NOT NULL,                  -- JSON list
  at         INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  note       TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (article_id, version)
) STRICT;

CREATE TABLE kb_attachments (
  article_id TEXT NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
  ref        TEXT NOT NULL,                  -- storage reference (file id, URL)
  name       TEXT NOT NULL,
  mime       TEXT NOT NULL,
  size       INTEGER NOT NULL CHECK (size >= 0),
  PRIMARY KEY (article_id, ref)
) STRICT;

CREATE VIRTUAL TABLE kb_fts USING fts5(
  title, body, tags,
  content = 'kb_articles', content_rowid = 'seq',
  tokenize = 'trigram'
);
CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN
  INSERT INTO kb_fts(rowid, title, body, tags) VALUES (new.seq, new.title, new.body, new.tags);
END;
CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN
  INSERT INTO kb_fts(kb_fts, rowid, title, body, tags) VALUES ('delete', old.seq, old.title, old.body, old.tags);
END;
CREATE TRIGGER kb_articles_au AFTER UPDATE OF title, body, tags ON kb_articles BEGIN
  INSERT INTO kb_fts(kb_fts, rowid, title, body, tags) VALUES ('delete', old.seq, old.title, old.body, old.tags);
  INSERT INTO kb_fts(rowid, title, body, tags) VALUES (new.seq, new.title, new.body, new.tags);
END;
`,
};
