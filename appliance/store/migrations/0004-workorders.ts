import type { Migration } from './index.js';

/**
 * Work orders (appliance/workorders): departments, business calendars, types with form and
 * workflow definitions, categories, SLA policies, orders, assignments, the append-only event
 * log and per-order SLA clocks. The CHECK lists equal the `as const` arrays in
 * workorders/model.ts.
 */
export const m0004_workorders: Migration = {
  version: 4,
  name: 'work orders, workflow and SLA',
  up: `
CREATE TABLE departments (
  id           TEXT PRIMARY KEY,
  parent_id    TEXT REFERENCES departments(id),
  code         TEXT NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  head_user_id TEXT,
  active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX departments_parent ON departments(parent_id);

-- Weekly business hours in local time plus dated exceptions (holidays, make-up workdays 调休).
CREATE TABLE business_calendars (
  id                 TEXT PRIMARY KEY,
  name               TEXT NOT NULL,
  utc_offset_minutes INTEGER NOT NULL CHECK (utc_offset_minutes BETWEEN -720 AND 840),
  weekly             TEXT NOT NULL,      -- JSON: 7 lists (Sunday first) of [startMinute, endMinute]
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
) STRICT;

CREATE TABLE calendar_days (
  calendar_id TEXT NOT NULL REFERENCES business_calendars(id) ON DELETE CASCADE,
  date        TEXT NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
  kind        TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
  name        TEXT NOT NULL DEFAULT '',
  periods     TEXT,                      -- JSON periods of a make-up workday; NULL = Monday's hours
  PRIMARY KEY (calendar_id, date)
) STRICT;

CREATE TABLE workorder_types (
  id          TEXT PRIMARY KEY,          -- stable code: 'repair', 'complaint'
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('consultation', 'repair', 'complaint', 'suggestion',
                                            'application', 'theft-report', 'praise', 'other')),
  form        TEXT NOT NULL,             -- JSON form definition (workorders/forms.ts)
  workflow    TEXT NOT NULL,             -- JSON workflow definition (workorders/workflow.ts)
  calendar_id TEXT REFERENCES business_calendars(id),
  active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

-- Data dictionary: categories and sub-categories per type.
CREATE TABLE workorder_categories (
  id         TEXT PRIMARY KEY,
  type_id    TEXT NOT NULL REFERENCES workorder_types(id),
  parent_id  TEXT REFERENCES workorder_categories(id),
  code       TEXT NOT NULL,
  name       TEXT NOT NULL,
  sort       INTEGER NOT NULL DEFAULT 0,
  active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at INTEGER NOT NULL,
  UNIQUE (type_id, code)
) STRICT;

-- NULL in type_id / priority / area_class matches anything; the most specific policy wins.
CREATE TABLE sla_policies (
  id             TEXT PRIMARY KEY,
  type_id        TEXT REFERENCES workorder_types(id),
  priority       TEXT CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  area_class     TEXT CHECK (area_class IN ('urban', 'rural', 'remote')),
  metric         TEXT NOT NULL CHECK (metric IN ('accept', 'arrival', 'restore', 'reply', 'resolve')),
  target_minutes INTEGER NOT NULL CHECK (target_minutes > 0),
  calendar_id    TEXT REFERENCES business_calendars(id),   -- NULL = round the clock
  warn_percents  TEXT NOT NULL DEFAULT '[80]',             -- JSON list of percents, ascending
  active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT;

-- Order numbers GDyyyymmdd-NNNNNN: one counter row per local day, bumped inside the create
-- transaction, so two writers can never draw the same number.
CREATE TABLE workorder_sequences (
  day  TEXT PRIMARY KEY,
  last INTEGER NOT NULL
) STRICT;

CREATE TABLE workorders (
  id            TEXT PRIMARY KEY,
  number        TEXT NOT NULL UNIQUE,
  type_id       TEXT NOT NULL REFERENCES workorder_types(id),
  category_id   TEXT REFERENCES workorder_categories(id),
  source        TEXT NOT NULL CHECK (source IN ('call', 'voicemail', 'fax', 'web', 'letter', 'visit',
                                                'api', 'sms', 'email')),
  priority      TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  area_class    TEXT CHECK (area_class IN ('urban', 'rural', 'remote')),
  status        TEXT NOT NULL CHECK (status IN ('new', 'accepted', 'in-progress', 'replied', 'suspended',
                                                'waiting-customer', 'closed', 'visited', 'cancelled')),
  title         TEXT NOT NULL,
  description   TEXT NOT NULL DEFAULT '',
  fields        TEXT NOT NULL DEFAULT '{}',   -- JSON values of the type's custom form
  customer_id   TEXT,
  contact_name  TEXT,
  contact_phone TEXT,
  address       TEXT,
  created_by    TEXT NOT NULL,
  acceptor_id   TEXT,
  current_step  TEXT,
  step_round    INTEGER NOT NULL DEFAULT 0,
  resume_status TEXT CHECK (resume_status IN ('new', 'accepted', 'in-progress', 'replied')),
  urge_count    INTEGER NOT NULL DEFAULT 0,
  reopen_count  INTEGER NOT NULL DEFAULT 0,
  visit_result  TEXT CHECK (visit_result IN ('satisfied', 'dissatisfied', 'unreachable')),
  sla_state     TEXT NOT NULL DEFAULT 'ok' CHECK (sla_state IN ('ok', 'warned', 'breached')),
  due_at        INTEGER,                      -- earliest due instant of the running clocks
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  accepted_at   INTEGER,
  closed_at     INTEGER,
  version       INTEGER NOT NULL DEFAULT 1    -- optimistic lock: every person's action bumps it
) STRICT;
CREATE INDEX workorders_status ON workorders(status, created_at);
CREATE INDEX workorders_type ON workorders(type_id, created_at);
CREATE INDEX workorders_customer ON workorders(customer_id, created_at);
CREATE INDEX workorders_created ON workorders(created_at);
CREATE INDEX workorders_due ON workorders(due_at) WHERE due_at IS NOT NULL;

-- Plain ids of calls, recordings and attachments (no foreign key into telephony tables).
CREATE TABLE workorder_links (
  order_id   TEXT NOT NULL REFERENCES workorders(id),
  kind       TEXT NOT NULL CHECK (kind IN ('call', 'recording', 'attachment')),
  ref        TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (order_id, kind, ref)
) STRICT;
CREATE INDEX workorder_links_ref ON workorder_links(kind, ref);

CREATE TABLE workorder_assignments (
  id            INTEGER PRIMARY KEY,
  order_id      TEXT NOT NULL REFERENCES workorders(id),
  step_id       TEXT NOT NULL,
  round         INTEGER NOT NULL,
  seq           INTEGER NOT NULL,
  assignee_kind TEXT NOT NULL CHECK (assignee_kind IN ('user', 'department', 'role')),
  assignee_id   TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('queued', 'pending', 'replied', 'returned', 'transferred',
                                                'cancelled')),
  reply         TEXT,
  acted_by      TEXT,
  created_at    INTEGER NOT NULL,
  acted_at      INTEGER
) STRICT;
CREATE INDEX workorder_assignments_order ON workorder_assignments(order_id, round);
CREATE INDEX workorder_assignments_todo ON workorder_assignments(assignee_kind, assignee_id, status);

-- Append-only flow history: who, when, from where, what, status before and after.
CREATE TABLE workorder_events (
  id          INTEGER PRIMARY KEY,
  order_id    TEXT NOT NULL REFERENCES workorders(id),
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  actor_ip    TEXT,
  channel     TEXT NOT NULL CHECK (channel IN ('web', 'api', 'phone', 'ivr', 'system')),
  action      TEXT NOT NULL CHECK (action IN ('create', 'accept', 'dispatch', 'transfer', 'return', 'reply',
                                              'arrive', 'urge', 'suspend', 'await-customer', 'resume', 'close',
                                              'reopen', 'visit', 'cancel', 'sla-warn', 'sla-breach')),
  from_status TEXT CHECK (from_status IN ('new', 'accepted', 'in-progress', 'replied', 'suspended',
                                          'waiting-customer', 'closed', 'visited', 'cancelled')),
  to_status   TEXT NOT NULL CHECK (to_status IN ('new', 'accepted', 'in-progress', 'replied', 'suspended',
                                                 'waiting-customer', 'closed', 'visited', 'cancelled')),
  step_id     TEXT,
  note        TEXT,
  data        TEXT,                      -- JSON details (assignees, reply, visit result)
  version     INTEGER NOT NULL           -- the order's version after this event
) STRICT;
CREATE INDEX workorder_events_order ON workorder_events(order_id, id);
CREATE TRIGGER workorder_events_no_update BEFORE UPDATE ON workorder_events
  BEGIN SELECT RAISE(ABORT, 'workorder_events is append-only'); END;
CREATE TRIGGER workorder_events_no_delete BEFORE DELETE ON workorder_events
  BEGIN SELECT RAISE(ABORT, 'workorder_events is append-only'); END;

-- One clock per (order, metric[, step]). Business time consumed so far is consumed_ms; while
-- running, running_since marks the start of the current stretch. next_check_at is when the
-- checker next has something to fire (a warning threshold or the breach).
CREATE TABLE workorder_sla (
  id            INTEGER PRIMARY KEY,
  order_id      TEXT NOT NULL REFERENCES workorders(id),
  metric        TEXT NOT NULL CHECK (metric IN ('accept', 'arrival', 'restore', 'reply', 'resolve', 'step')),
  step_id       TEXT,
  policy_id     TEXT REFERENCES sla_policies(id),
  calendar_id   TEXT REFERENCES business_calendars(id),
  target_ms     INTEGER NOT NULL CHECK (target_ms > 0),
  warn_percents TEXT NOT NULL,
  consumed_ms   INTEGER NOT NULL DEFAULT 0,
  running_since INTEGER,
  due_at        INTEGER,
  warned        INTEGER NOT NULL DEFAULT 0,  -- how many warn_percents have fired
  next_check_at INTEGER,
  status        TEXT NOT NULL CHECK (status IN ('running', 'paused', 'met', 'cancelled')),
  breached_at   INTEGER,
  met_at        INTEGER,
  created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX workorder_sla_order ON workorder_sla(order_id);
CREATE INDEX workorder_sla_next ON workorder_sla(next_check_at) WHERE status = 'running';
`,
};
