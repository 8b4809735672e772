import type { Migration } from './index.js';

/**
 * Work orders, part 2 (issue 8): a trigram full-text index over order titles and addresses (for
 * list search on a million orders), callback visits (回访: selection rules, visits, attempts),
 * and the messages module (站内消息: per-recipient
 * messages with read receipts, internal announcements 内部公告 with validity, audience and read
 * receipts). The CHECK lists equal the `as const` arrays in workorders/visit-service.ts and
 * messages/message-service.ts.
 */
export const m0012_workorders_2: Migration = {
  version: 12,
  name: 'work-order search, callback visits, messages and announcements',
  up: `
-- sqlite.org/fts5.html §4.3.3 trigram tokenizer: substring match for terms of 3+ characters.
-- rowid is the order row's rowid at insert time, so ORDER BY rowid DESC is newest first; the
-- join back goes through order_id (rowids of a table without INTEGER PRIMARY KEY may change on VACUUM).
CREATE VIRTUAL TABLE workorder_fts USING fts5(order_id UNINDEXED, title, address, tokenize = 'trigram');
INSERT INTO workorder_fts(rowid, order_id, title, address) SELECT rowid, id, title, coalesce(address, '') FROM workorders;
CREATE TRIGGER workorder_fts_ai AFTER INSERT ON workorders BEGIN
  INSERT INTO workorder_fts(rowid, order_id, title, address) VALUES (new.rowid, new.id, new.title, coalesce(new.address, ''));
END;
CREATE TRIGGER workorder_fts_au AFTER UPDATE OF title, address ON workorders BEGIN
  UPDATE workorder_fts SET title = new.title, address = coalesce(new.address, '') WHERE order_id = new.id;
END;

-- 回访 selection: the first active rule (by position) matching a closed order decides whether
-- it is visited. NULL type_id / kind match anything; sample_percent 100 = every order.
CREATE TABLE visit_rules (
  id             TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  position       INTEGER NOT NULL DEFAULT 0,
  type_id        TEXT REFERENCES workorder_types(id),
  kind           TEXT CHECK (kind IN ('consultation', 'repair', 'complaint', 'suggestion',
                                      'application', 'theft-report', 'praise', 'other')),
  sample_percent INTEGER NOT NULL CHECK (sample_percent BETWEEN 0 AND 100),
  due_minutes    INTEGER NOT NULL DEFAULT 2880 CHECK (due_minutes > 0),  -- visit within, calling-hours minutes
  active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE workorder_visits (
  id             TEXT PRIMARY KEY,
  order_id       TEXT NOT NULL REFERENCES workorders(id),
  rule_id        TEXT REFERENCES visit_rules(id),
  round          INTEGER NOT NULL,                 -- the order's reopen_count when selected
  type_id        TEXT NOT NULL,
  kind           TEXT NOT NULL,
  department_id  TEXT,                             -- who handled the order (statistics)
  status         TEXT NOT NULL CHECK (status IN ('pending', 'assigned', 'done', 'failed', 'cancelled')),
  agent_id       TEXT,
  contact_phone  TEXT,
  next_attempt_at INTEGER NOT NULL,                -- inside calling hours
  due_at         INTEGER NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  result         TEXT CHECK (result IN ('satisfied', 'dissatisfied', 'unreachable')),
  reason         TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  completed_at   INTEGER,
  version        INTEGER NOT NULL DEFAULT 1,
  UNIQUE (order_id, round)
) STRICT;
CREATE INDEX workorder_visits_queue ON workorder_visits(status, next_attempt_at);
CREATE INDEX workorder_visits_agent ON workorder_visits(agent_id, status, next_attempt_at);
CREATE INDEX workorder_visits_done ON workorder_visits(completed_at) WHERE completed_at IS NOT NULL;

CREATE TABLE workorder_visit_attempts (
  id        INTEGER PRIMARY KEY,
  visit_id  TEXT NOT NULL REFERENCES workorder_visits(id),
  at        INTEGER NOT NULL,
  agent_id  TEXT NOT NULL,
  outcome   TEXT NOT NULL CHECK (outcome IN ('satisfied', 'dissatisfied', 'unreachable')),
  reason    TEXT,
  call_id   TEXT                                   -- plain id of the click-to-dial call
) STRICT;
CREATE INDEX workorder_visit_attempts_visit ON workorder_visit_attempts(visit_id, id);

-- 站内消息: one row per message, addressed to a user, department or role; read receipts per
-- reading user (a department message is read by each member separately).
CREATE TABLE messages (
  id             TEXT PRIMARY KEY,
  recipient_kind TEXT NOT NULL CHECK (recipient_kind IN ('user', 'department', 'role')),
  recipient_id   TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('assigned', 'urge', 'returned', 'replied', 'sla-warn', 'sla-breach',
                                               'escalation', 'visit', 'reopened', 'note')),
  priority       TEXT NOT NULL CHECK (priority IN ('normal', 'high')),
  title          TEXT NOT NULL,
  body           TEXT NOT NULL DEFAULT '',
  order_id       TEXT,                              -- opens the work order in one click
  sender         TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  expires_at     INTEGER
) STRICT;
CREATE INDEX messages_inbox ON messages(recipient_kind, recipient_id, created_at);

CREATE TABLE message_reads (
  message_id TEXT NOT NULL REFERENCES messages(id),
  user_id    TEXT NOT NULL,
  read_at    INTEGER NOT NULL,
  PRIMARY KEY (message_id, user_id)
) STRICT;

CREATE TABLE announcements (
  id           TEXT PRIMARY KEY,
  title        TEXT NOT NULL,
  body         TEXT NOT NULL,
  priority     TEXT NOT NULL CHECK (priority IN ('normal', 'high')),
  audience     TEXT NOT NULL,                      -- JSON [{ kind: all|user|department|role, id }]
  valid_from   INTEGER NOT NULL,
  valid_to     INTEGER,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  withdrawn_at INTEGER
) STRICT;
CREATE INDEX announcements_valid ON announcements(valid_from);

CREATE TABLE announcement_reads (
  announcement_id TEXT NOT NULL REFERENCES announcements(id),
  user_id         TEXT NOT NULL,
  read_at         INTEGER NOT NULL,
  PRIMARY KEY (announcement_id, user_id)
) STRICT;
`,
};
