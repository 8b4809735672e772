import type { Migration } from './index.js';

/**
 * Control-panel sign-in and RBAC (issue 9; RELIABILITY.md §4.3 W4–W6). The seed hierarchy
 * 用户组群 → 岗位角色 → 操作人员: groups hold roles and users; a user's effective roles are their
 * own roles plus their groups' roles. A role grants, per function, operations (the CHECK list
 * equals `Operations` in control-panel/auth/permissions.ts) and a data scope by department.
 * IP allow-lists are JSON arrays of CIDRs on users and groups ('[]' = no restriction).
 * Sessions keep only the SHA-256 of the cookie value; login failures and IP bans are rows so
 * that throttling survives a restart.
 */
export const m0005_panel_auth: Migration = {
  version: 5,
  name: 'control panel users, groups, roles and sessions',
  up: `
CREATE TABLE panel_users (
  id                   TEXT PRIMARY KEY,
  login                TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name         TEXT NOT NULL,
  department_id        TEXT REFERENCES departments(id),
  password_hash        TEXT NOT NULL,
  disabled             INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  must_change_password INTEGER NOT NULL DEFAULT 1 CHECK (must_change_password IN (0, 1)),
  ip_allow             TEXT NOT NULL DEFAULT '[]',
  password_changed_at  INTEGER NOT NULL,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
) STRICT;

CREATE TABLE panel_groups (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  ip_allow    TEXT NOT NULL DEFAULT '[]',
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE panel_roles (
  id          TEXT PRIMARY KEY,          -- built-ins: 'agent', 'supervisor', 'admin', 'qa'
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  builtin     INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
  data_scope  TEXT NOT NULL CHECK (data_scope IN ('self', 'department', 'department-tree', 'all')),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE panel_role_grants (
  role_id   TEXT NOT NULL REFERENCES panel_roles(id) ON DELETE CASCADE,
  function  TEXT NOT NULL,
  operation TEXT NOT NULL CHECK (operation IN ('view', 'create', 'edit', 'delete', 'export', 'monitor')),
  PRIMARY KEY (role_id, function, operation)
) STRICT;

CREATE TABLE panel_user_roles (
  user_id TEXT NOT NULL REFERENCES panel_users(id) ON DELETE CASCADE,
  role_id TEXT NOT NULL REFERENCES panel_roles(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, role_id)
) STRICT;

CREATE TABLE panel_group_members (
  group_id TEXT NOT NULL REFERENCES panel_groups(id) ON DELETE CASCADE,
  user_id  TEXT NOT NULL REFERENCES panel_users(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
) STRICT;
CREATE INDEX panel_group_members_user ON panel_group_members(user_id);

CREATE TABLE panel_group_roles (
  group_id TEXT NOT NULL REFERENCES panel_groups(id) ON DELETE CASCADE,
  role_id  TEXT NOT NULL REFERENCES panel_roles(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, role_id)
) STRICT;

CREATE TABLE panel_sessions (
  id           TEXT PRIMARY KEY,         -- public id for the session list ('ses_…'), not the cookie
  token_hash   TEXT NOT NULL UNIQUE,     -- SHA-256 of the cookie value, base64url
  user_id      TEXT NOT NULL REFERENCES panel_users(id) ON DELETE CASCADE,
  csrf_token   TEXT NOT NULL,
  ip           TEXT NOT NULL,
  user_agent   TEXT NOT NULL DEFAULT '',
  idle_ms      INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL          -- absolute limit
) STRICT;
CREATE INDEX panel_sessions_user ON panel_sessions(user_id);

CREATE TABLE panel_login_failures (
  id      INTEGER PRIMARY KEY,
  at      INTEGER NOT NULL,
  login   TEXT NOT NULL COLLATE NOCASE,
  ip      TEXT NOT NULL,
  trusted INTEGER NOT NULL CHECK (trusted IN (0, 1))  -- from a management network
) STRICT;
CREATE INDEX panel_login_failures_login ON panel_login_failures(login, at);
CREATE INDEX panel_login_failures_ip ON panel_login_failures(ip, at);

CREATE TABLE panel_ip_bans (
  ip         TEXT PRIMARY KEY,
  until      INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) STRICT;
`,
};
