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

// ---- work orders (migration 0004, appliance/workorders) ----

export interface DepartmentsTable {
  id: string;
  parent_id: string | null;
  code: string;
  name: string;
  head_user_id: string | null;
  active: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface BusinessCalendarsTable {
  id: string;
  name: string;
  utc_offset_minutes: number;
  weekly: string;
  created_at: number;
  updated_at: number;
}

export interface CalendarDaysTable {
  calendar_id: string;
  date: string;
  kind: 'holiday' | 'workday';
  name: Generated<string>;
  periods: string | null;
}

export interface WorkorderTypesTable {
  id: string;
  name: string;
  kind: string;
  form: string;
  workflow: string;
  calendar_id: string | null;
  active: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface WorkorderCategoriesTable {
  id: string;
  type_id: string;
  parent_id: string | null;
  code: string;
  name: string;
  sort: Generated<number>;
  active: Generated<number>;
  created_at: number;
}

export interface SlaPoliciesTable {
  id: string;
  type_id: string | null;
  priority: string | null;
  area_class: string | null;
  metric: string;
  target_minutes: number;
  calendar_id: string | null;
  warn_percents: Generated<string>;
  /** JSON list of business minutes after the breach for escalation levels 2, 3, … */
  escalate_minutes: Generated<string>;
  active: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface WorkorderSequencesTable {
  day: string;
  last: number;
}

export interface WorkordersTable {
  id: string;
  number: string;
  type_id: string;
  category_id: string | null;
  source: string;
  priority: string;
  area_class: string | null;
  status: string;
  title: string;
  description: Generated<string>;
  fields: Generated<string>;
  customer_id: string | null;
  contact_name: string | null;
  contact_phone: string | null;
  address: string | null;
  created_by: string;
  acceptor_id: string | null;
  current_step: string | null;
  step_round: Generated<number>;
  resume_status: string | null;
  urge_count: Generated<number>;
  reopen_count: Generated<number>;
  visit_result: string | null;
  sla_state: Generated<string>;
  due_at: number | null;
  created_at: number;
  updated_at: number;
  accepted_at: number | null;
  closed_at: number | null;
  version: Generated<number>;
}

export interface WorkorderLinksTable {
  order_id: string;
  kind: 'call' | 'recording' | 'attachment';
  ref: string;
  created_at: number;
}

export interface WorkorderAssignmentsTable {
  id: Generated<number>;
  order_id: string;
  step_id: string;
  round: number;
  seq: number;
  assignee_kind: string;
  assignee_id: string;
  status: string;
  reply: string | null;
  acted_by: string | null;
  created_at: number;
  acted_at: number | null;
}

export interface WorkorderEventsTable {
  id: Generated<number>;
  order_id: string;
  at: number;
  actor: string;
  actor_ip: string | null;
  channel: string;
  action: string;
  from_status: string | null;
  to_status: string;
  step_id: string | null;
  note: string | null;
  data: string | null;
  version: number;
}

export interface WorkorderSlaTable {
  id: Generated<number>;
  order_id: string;
  metric: string;
  step_id: string | null;
  policy_id: string | null;
  calendar_id: string | null;
  target_ms: number;
  warn_percents: string;
  consumed_ms: Generated<number>;
  running_since: number | null;
  due_at: number | null;
  warned: Generated<number>;
  escalate_minutes: Generated<string>;
  /** How many escalation levels after the breach have fired. */
  escalated: Generated<number>;
  next_check_at: number | null;
  status: string;
  breached_at: number | null;
  met_at: number | null;
  created_at: number;
}

// ---- control-panel sign-in and RBAC (migration 0005, control-panel/auth) ----

export interface PanelUsersTable {
  id: string;
  login: string;
  display_name: string;
  department_id: string | null;
  password_hash: string;
  disabled: Generated<number>;
  must_change_password: Generated<number>;
  ip_allow: Generated<string>;
  password_changed_at: number;
  created_at: number;
  updated_at: number;
}

export interface PanelGroupsTable {
  id: string;
  name: string;
  description: Generated<string>;
  ip_allow: Generated<string>;
  created_at: number;
  updated_at: number;
}

export interface PanelRolesTable {
  id: string;
  name: string;
  description: Generated<string>;
  builtin: Generated<number>;
  data_scope: 'self' | 'department' | 'department-tree' | 'all';
  created_at: number;
  updated_at: number;
}

export interface PanelRoleGrantsTable {
  role_id: string;
  function: string;
  operation: 'view' | 'create' | 'edit' | 'delete' | 'export' | 'monitor';
}

export interface PanelUserRolesTable {
  user_id: string;
  role_id: string;
}

export interface PanelGroupMembersTable {
  group_id: string;
  user_id: string;
}

export interface PanelGroupRolesTable {
  group_id: string;
  role_id: string;
}

export interface PanelSessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  csrf_token: string;
  ip: string;
  user_agent: Generated<string>;
  idle_ms: number;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface PanelLoginFailuresTable {
  id: Generated<number>;
  at: number;
  login: string;
  ip: string;
  trusted: number;
}

export interface PanelIpBansTable {
  ip: string;
  until: number;
  created_at: number;
}

// ---- customers and knowledge base (migration 0008, appliance/customers, appliance/knowledge) ----

export interface CustomersTable {
  id: string;
  billing_ref: string | null;
  name: string;
  kind: 'residential' | 'business' | 'industrial' | 'public' | 'other';
  vip: Generated<number>;
  critical_load: Generated<number>;
  attributes: Generated<string>;
  tier: Generated<'vip' | 'large' | 'critical' | 'standard'>;
  tier_rule: string | null;
  notes: Generated<string>;
  created_at: number;
  updated_at: number;
  synced_at: number | null;
  version: Generated<number>;
}

export interface CustomerAccountsTable {
  account_no: string;
  customer_id: string;
  meter_no: string | null;
  status: Generated<'active' | 'suspended' | 'closed'>;
  arrears_cents: Generated<number>;
  monthly_kwh: Generated<number>;
  address_id: string | null;
  updated_at: number;
}

export interface CustomerContactsTable {
  id: string;
  customer_id: string;
  name: string;
  relation: Generated<string>;
}

export interface CustomerPhonesTable {
  number: string;
  customer_id: string;
  kind: 'mobile' | 'landline' | 'service' | 'international';
  area_code: string | null;
  contact_id: string | null;
  label: Generated<string>;
}

export interface CustomerAddressesTable {
  id: string;
  customer_id: string;
  text: string;
  area_code: string;
  is_primary: Generated<number>;
}

export interface CustomerCorrectionsTable {
  id: Generated<number>;
  customer_id: string;
  at: number;
  actor: string;
  actor_ip: string | null;
  field: string;
  before: string | null;
  after: string | null;
  reason: string;
  status: Generated<'pending' | 'confirmed' | 'superseded'>;
  resolved_at: number | null;
}

export interface CustomerTierRulesTable {
  id: number;
  rules: string;
  version: number;
  updated_at: number;
  updated_by: string;
}

export interface BillingSyncStateTable {
  adapter: string;
  cursor: string | null;
  last_run_at: number | null;
  last_ok_at: number | null;
  last_error: string | null;
}

export interface KbCategoriesTable {
  id: string;
  parent_id: string | null;
  name: string;
  sort: Generated<number>;
  created_at: number;
}

export interface KbArticlesTable {
  seq: Generated<number>;
  id: string;
  category_id: string | null;
  title: string;
  body: string;
  tags: Generated<string>;
  status: 'draft' | 'published' | 'archived';
  visibility: Generated<'internal' | 'public'>;
  department_id: string | null;
  valid_from: number | null;
  valid_to: number | null;
  version: Generated<number>;
  published_version: number | null;
  hits: Generated<number>;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
  published_at: number | null;
}

export interface KbRevisionsTable {
  article_id: string;
  version: number;
  title: string;
  body: string;
  tags: string;
  at: number;
  actor: string;
  note: Generated<string>;
}

/** The FTS5 index over kb_articles (external content; kept equal by triggers). */
export interface KbFtsTable {
  rowid: number;
  title: string;
  body: string;
  tags: string;
}

export interface KbAttachmentsTable {
  article_id: string;
  ref: string;
  name: string;
  mime: string;
  size: number;
}

// ---- ACD (migration 0006, appliance/acd) ----

export interface AcdAgentStatesTable {
  agent_id: string;
  status: 'logged-out' | 'available' | 'on-break';
  break_reason: string | null;
  state: 'idle' | 'offered' | 'in-call' | 'wrap-up' | 'outbound';
  updated_at: number;
}

export interface AcdCallbacksTable {
  id: string;
  queue_id: string;
  call_id: string;
  number: string;
  tier: 'standard' | 'large-customer' | 'vip' | 'critical-load';
  priority: number;
  requested_at: number;
  expires_at: number;
  attempts: Generated<number>;
  next_attempt_at: number;
  status: 'pending' | 'in-progress' | 'completed' | 'expired' | 'failed';
  agent_id: string | null;
  updated_at: number;
}

export interface AcdEventsTable {
  seq: Generated<number>;
  id: string;
  at: number;
  type: string;
  queue_id: string | null;
  agent_id: string | null;
  call_id: string | null;
  payload: string;
}

export interface AcdIntervalStatsTable {
  queue_id: string;
  interval_start: number;
  interval_ms: number;
  service_level_ms: number;
  short_abandon_ms: number;
  offered: number;
  answered: number;
  answered_within: number;
  abandoned: number;
  abandoned_within: number;
  abandoned_short: number;
  callbacks: number;
  callbacks_within: number;
  overflowed: number;
  sum_answer_wait_ms: number;
  max_answer_wait_ms: number;
  handled: number;
  talk_ms: number;
  hold_ms: number;
  acw_ms: number;
  agents_required: number | null;
}

// ---- ACD configuration (migration 0009, appliance/acd) ----

export interface AcdQueuesTable {
  id: string;
  name: string;
  strategy: 'ring-all' | 'least-recent' | 'fewest-calls' | 'rr-memory' | 'linear' | 'random' | 'skills-based';
  /** JSON: the whole QueueConfig. */
  config: string;
  created_at: number;
  updated_at: number;
}

export interface AcdAgentsTable {
  id: string;
  name: string;
  /** JSON: skill → proficiency 1–5. */
  skills: string;
  /** Work-order department (migration 0026); NULL: the linked panel user's, else none. */
  department_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface AcdMembershipsTable {
  agent_id: string;
  queue_id: string;
  position: number;
  penalty: number;
  wrap_up_ms: number | null;
}

// ---- IVR flows and node traffic (migration 0007, appliance/ivr) ----

export interface IvrFlowsTable {
  flow_id: string;
  version: number;
  name: string;
  status: 'draft' | 'published' | 'retired';
  definition: string;
  created_at: number;
  created_by: string;
  updated_at: number;
  published_at: number | null;
  published_by: string | null;
}

export interface IvrNodeTrafficTable {
  day: string;
  flow_id: string;
  version: number;
  node_id: string;
  visits: Generated<number>;
  abandons: Generated<number>;
}

// ---- IVR call records and survey scores (migration 0018, appliance/ivr/call-records.ts) ----

export interface IvrCallRecordsTable {
  call_id: string;
  flow_id: string;
  flow_version: number;
  outcome: string;
  last_node: string | null;
  path: string;
  vars: string;
  queue: string | null;
  duration_ms: number;
  ended_at: number;
}

export interface IvrSurveyScoresTable {
  call_id: string;
  survey: string;
  question: string;
  score: number;
  queue: string | null;
  agent_id: string | null;
  recorded_at: number;
}

// ---- IVR voicemail and post-call survey setting (migration 0021, appliance/ivr/voicemail-box.ts) ----

export interface VoicemailMessagesTable {
  id: string;
  call_id: string;
  caller: string;
  account_no: string | null;
  order_type: string;
  recording_path: string;
  recording_id: string | null;
  duration_ms: number;
  ended_by: string;
  vars: string;
  created_at: number;
  work_order_id: string | null;
  work_order_error: string | null;
}

export interface IvrPostcallSurveysTable {
  queue_id: string;
  flow_id: string;
  updated_at: number;
}

// ---- work orders part 2 (migration 0012, appliance/workorders + appliance/messages) ----

export interface WorkorderFtsTable {
  rowid: number;
  order_id: string;
  title: string;
  address: string;
}

export interface VisitRulesTable {
  id: string;
  name: string;
  position: Generated<number>;
  type_id: string | null;
  kind: string | null;
  sample_percent: number;
  due_minutes: Generated<number>;
  active: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface WorkorderVisitsTable {
  id: string;
  order_id: string;
  rule_id: string | null;
  round: number;
  type_id: string;
  kind: string;
  department_id: string | null;
  status: string;
  agent_id: string | null;
  contact_phone: string | null;
  next_attempt_at: number;
  due_at: number;
  attempts: Generated<number>;
  result: string | null;
  reason: string | null;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  version: Generated<number>;
}

export interface WorkorderVisitAttemptsTable {
  id: Generated<number>;
  visit_id: string;
  at: number;
  agent_id: string;
  outcome: string;
  reason: string | null;
  call_id: string | null;
}

export interface MessagesTable {
  id: string;
  recipient_kind: string;
  recipient_id: string;
  kind: string;
  priority: string;
  title: string;
  body: Generated<string>;
  order_id: string | null;
  sender: string;
  created_at: number;
  expires_at: number | null;
}

export interface MessageReadsTable {
  message_id: string;
  user_id: string;
  read_at: number;
}

export interface AnnouncementsTable {
  id: string;
  title: string;
  body: string;
  priority: string;
  /** JSON [{ kind: all|user|department|role, id }]. */
  audience: string;
  valid_from: number;
  valid_to: number | null;
  created_by: string;
  created_at: number;
  withdrawn_at: number | null;
}

export interface AnnouncementReadsTable {
  announcement_id: string;
  user_id: string;
  read_at: number;
}

// ---- SIP registrar and security (migration 0010, appliance/sip/registrar, appliance/sip/security) ----

export interface SipExtensionsTable {
  number: string;
  display_name: string;
  auth_user: string;
  realm: string;
  ha1_md5: string;
  ha1_sha256: string;
  enabled: Generated<number>;
  max_contacts: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface SipBindingsTable {
  aor: string;
  contact_key: string;
  contact: string;
  call_id: string;
  cseq: number;
  q: number | null;
  expires_at: number;
  registered_at: number;
  protocol: 'udp' | 'tcp' | 'tls';
  source_host: string;
  source_port: number;
  connection_id: string | null;
  user_agent: string | null;
}

export interface SipBansTable {
  ip: string;
  reason: 'flood' | 'auth-failures' | 'manual';
  since: number;
  until: number;
}

// ---- Saved custom reports (migration 0013, appliance/reports) ----

export interface ReportDefinitionsTable {
  id: string;
  name: string;
  owner: string;
  /** JSON: reports/definition.ts ReportDefinition (validated, never SQL). */
  definition: string;
  created_at: number;
  updated_at: number;
  version: Generated<number>;
}

export interface ReportSharesTable {
  report_id: string;
  role_id: string;
}

// ---- article deliveries and fax jobs (migration 0022, knowledge/sending.ts, integrations/senders) ----

export interface KbDeliveriesTable {
  id: string;
  article_id: string;
  article_version: number;
  channel: 'sms' | 'email' | 'fax';
  recipient: string;
  customer_id: string | null;
  status: 'pending' | 'sent' | 'failed';
  provider_ref: string | null;
  parts: number | null;
  error: string | null;
  requested_by: string;
  requested_at: number;
  completed_at: number | null;
}

export interface FaxJobsTable {
  id: string;
  recipient: string;
  subject: string;
  document: string;
  source: string;
  source_ref: string;
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: Generated<number>;
  error: string | null;
  created_at: number;
  updated_at: number;
}

export interface Database {
  appointment_services: AppointmentServicesTable;
  appointment_capacity: AppointmentCapacityTable;
  appointment_bookings: AppointmentBookingsTable;
  appointment_events: AppointmentEventsTable;
  kb_deliveries: KbDeliveriesTable;
  fax_jobs: FaxJobsTable;
  recordings: RecordingsTable;
  recording_archives: RecordingArchivesTable;
  schema_version: SchemaVersionTable;
  ivr_flows: IvrFlowsTable;
  ivr_node_traffic: IvrNodeTrafficTable;
  ivr_call_records: IvrCallRecordsTable;
  ivr_survey_scores: IvrSurveyScoresTable;
  voicemail_messages: VoicemailMessagesTable;
  ivr_postcall_surveys: IvrPostcallSurveysTable;
  settings: SettingsTable;
  audit_log: AuditLogTable;
  api_keys: ApiKeysTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  departments: DepartmentsTable;
  business_calendars: BusinessCalendarsTable;
  calendar_days: CalendarDaysTable;
  workorder_types: WorkorderTypesTable;
  workorder_categories: WorkorderCategoriesTable;
  sla_policies: SlaPoliciesTable;
  workorder_sequences: WorkorderSequencesTable;
  workorders: WorkordersTable;
  workorder_links: WorkorderLinksTable;
  workorder_assignments: WorkorderAssignmentsTable;
  workorder_events: WorkorderEventsTable;
  workorder_sla: WorkorderSlaTable;
  panel_users: PanelUsersTable;
  panel_groups: PanelGroupsTable;
  panel_roles: PanelRolesTable;
  panel_role_grants: PanelRoleGrantsTable;
  panel_user_roles: PanelUserRolesTable;
  panel_group_members: PanelGroupMembersTable;
  panel_group_roles: PanelGroupRolesTable;
  panel_sessions: PanelSessionsTable;
  panel_login_failures: PanelLoginFailuresTable;
  panel_ip_bans: PanelIpBansTable;
  customers: CustomersTable;
  customer_accounts: CustomerAccountsTable;
  customer_contacts: CustomerContactsTable;
  customer_phones: CustomerPhonesTable;
  customer_addresses: CustomerAddressesTable;
  customer_corrections: CustomerCorrectionsTable;
  customer_tier_rules: CustomerTierRulesTable;
  billing_sync_state: BillingSyncStateTable;
  kb_categories: KbCategoriesTable;
  kb_articles: KbArticlesTable;
  kb_revisions: KbRevisionsTable;
  kb_attachments: KbAttachmentsTable;
  kb_fts: KbFtsTable;
  acd_agent_states: AcdAgentStatesTable;
  acd_callbacks: AcdCallbacksTable;
  acd_events: AcdEventsTable;
  acd_interval_stats: AcdIntervalStatsTable;
  acd_queues: AcdQueuesTable;
  acd_agents: AcdAgentsTable;
  acd_memberships: AcdMembershipsTable;
  workorder_fts: WorkorderFtsTable;
  visit_rules: VisitRulesTable;
  workorder_visits: WorkorderVisitsTable;
  workorder_visit_attempts: WorkorderVisitAttemptsTable;
  messages: MessagesTable;
  message_reads: MessageReadsTable;
  announcements: AnnouncementsTable;
  announcement_reads: AnnouncementReadsTable;
  sip_extensions: SipExtensionsTable;
  sip_bindings: SipBindingsTable;
  sip_bans: SipBansTable;
  report_definitions: ReportDefinitionsTable;
  report_shares: ReportSharesTable;
  call_routes: CallRoutesTable;
  cdrs: CdrsTable;
  cdr_legs: CdrLegsTable;
  cdr_transfers: CdrTransfersTable;
}

// ---- calls (migration 0011, appliance/calls) ----

export interface CallRoutesTable {
  id: string;
  name: string;
  priority: Generated<number>;
  did_pattern: string;
  caller_pattern: string | null;
  target_kind: string;
  target: string;
  enabled: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface CdrsTable {
  call_id: string;
  direction: string;
  caller: string;
  called: string;
  route_id: string | null;
  target_kind: string | null;
  target: string | null;
  started_at: number;
  answered_at: number | null;
  ended_at: number;
  duration_ms: number;
  billsec_ms: number;
  cause: number;
  ended_by: string;
  legs: number;
}

/** Migration 0019: the transfers of a call (calls/transfer.ts). */
export interface CdrTransfersTable {
  call_id: string;
  position: number;
  kind: string;
  at: number;
  transferor_leg: string;
  transferee_leg: string | null;
  target_leg: string | null;
  target: string;
  replaced_call_id: string | null;
  outcome: number;
}

export interface CdrLegsTable {
  call_id: string;
  leg_id: string;
  position: number;
  tech: string;
  direction: string;
  party: string;
  codec: string | null;
  created_at: number;
  answered_at: number | null;
  ended_at: number;
  cause: number;
  ended_by: string;
  mos: number | null;
  packets_lost: number | null;
  jitter_ms: number | null;
}

/** Migration 20: the call-recording ledger (media/recorder/ledger.ts). */
export interface RecordingArchivesTable {
  recording_id: string;
  state: 'archived' | 'failed';
  path: string | null;
  size: number | null;
  sha256: string | null;
  bitrate_kbps: number;
  reason: string | null;
  archived_at: number;
  retry_after: number | null;
  wav_pruned_at: number | null;
}

export interface RecordingsTable {
  id: string;
  call_id: string;
  path: string;
  /** JSON array of { legId, side }. */
  legs: string;
  encoding: 'alaw' | 'pcm16';
  state: 'open' | 'complete' | 'failed' | 'interrupted' | 'lost';
  reason: string | null;
  started_at: number;
  closed_at: number | null;
  duration_ms: number | null;
  size: number | null;
  sha256: string | null;
  /** JSON array of { fromMs, toMs }. */
  marks: string;
  pause_from_ms: number | null;
}

// ---- appointments (migration 0023, appliance/appointments) ----

export interface AppointmentServicesTable {
  id: string;
  name: string;
  department_id: string;
  calendar_id: string | null;
  slot_minutes: number;
  capacity: number;
  /** JSON [[startMinute, endMinute], …] of the local day, or null for the calendar's own periods. */
  periods: string | null;
  horizon_days: number;
  notice_minutes: number;
  remind_minutes: number | null;
  active: Generated<number>;
  created_at: number;
  updated_at: number;
}

export interface AppointmentCapacityTable {
  service_id: string;
  slot_start: number;
  capacity: number;
}

export interface AppointmentBookingsTable {
  id: string;
  service_id: string;
  slot_start: number;
  slot_end: number;
  status: 'booked' | 'cancelled' | 'done' | 'no-show';
  order_id: string | null;
  customer_id: string | null;
  contact_name: string | null;
  contact_phone: string;
  address: string | null;
  note: Generated<string>;
  channel: 'agent' | 'ivr' | 'api';
  booked_by: string;
  remind_at: number | null;
  reminder_status: 'none' | 'pending' | 'sent' | 'failed';
  reminded_at: number | null;
  reminder_error: string | null;
  cancel_reason: string | null;
  created_at: number;
  updated_at: number;
  version: Generated<number>;
}

export interface AppointmentEventsTable {
  id: Generated<number>;
  booking_id: string;
  at: number;
  actor: string;
  actor_ip: string | null;
  channel: string;
  action: 'book' | 'cancel' | 'reschedule' | 'remind' | 'complete' | 'no-show';
  from_start: number | null;
  to_start: number | null;
  note: string | null;
}
