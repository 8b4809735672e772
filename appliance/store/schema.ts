/**
 * Kysely table types, one interface per table, matching the migrations. Domain modules' stores
 * query through these; nothing outside `store/` and the stores builds SQL.
 */
import type { Generated } from 'kysely';

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  actor_ip: string | null;
  action: string;
  target: string | null;
  before: string | null;
  after: string | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  prefix: string;
  secret_hash: string;
  scopes: string;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface WebhookSubscriptionsTable {
  id: string;
  url: string;
  event_types: string;
  secret: string;
  description: Generated<string>;
  active: Generated<number>;
  created_at: number;
  updated_at: number;
}

export const WebhookDeliveryStatuses = ['pending', 'delivering', 'delivered', 'dead'] as const;
export type WebhookDeliveryStatus = (typeof WebhookDeliveryStatuses)[number];

export interface WebhookDeliveriesTable {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: Generated<number>;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface SchemaVersionTable {
  version: number;
  name: string;
  applied_at: number;
}

export interface Database {
  schema_version: SchemaVersionTable;
  settings: SettingsTable;
  audit_log: AuditLogTable;
  api_keys: ApiKeysTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}
