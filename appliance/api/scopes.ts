/**
 * API key scopes: the one list of what an integrator's key may be allowed to do. Each route in
 * the registry names the single scope it needs; a key carries a set of them. Names are
 * `resource:read|write` (or `admin:<thing>` for appliance administration). Add new scopes
 * here, with a description: the OpenAPI document and the key-creation schema list them.
 */

export const ScopeDescriptions = {
  'system:read': 'Read appliance version, uptime and schema version',
  'admin:api-keys': 'Create, list and revoke API keys',
  'audit:read': 'Search and export the audit log',
  'webhooks:read': 'List webhook subscriptions and the delivery log',
  'webhooks:write': 'Create, change and delete webhook subscriptions; retry dead deliveries',
  'customers:read': 'Read customer profiles and accounts',
  'customers:write': 'Create and change customer profiles and accounts',
  'workorders:read': 'Read work orders and their history',
  'workorders:write': 'Create work orders and move them through the workflow',
  'admin:workorders': 'Change work-order types and forms, categories, departments, calendars, SLA policies and visit rules',
  'messages:read': "Read a person's messages and announcements (the person named in X-Acting-User) and mark them read",
  'messages:write': 'Send messages and publish internal announcements',
  'workorders:act-as': 'Name the person (X-Acting-User, -Roles, -Departments) a work-order or knowledge action is taken for',
  'customers:tiers': 'Change the customer tier rules (re-evaluates every customer)',
  'calls:read': 'Read calls, CDRs and recordings metadata',
  'calls:write': 'Originate, transfer and hang up calls',
  'trunks:read': 'Read SIP trunks (with their live status), outbound routes and classes of service',
  'trunks:write': 'Change SIP trunks, outbound routes and classes of service (toll-fraud guards)',
  'queues:read': 'Read ACD queues, agents and real-time statistics',
  'queues:write': 'Change ACD queues and agent membership',
  'knowledge:read': 'Read knowledge-base articles',
  'knowledge:internal': 'Also see internal (staff-only) knowledge articles; without it search and reads return public articles only',
  'knowledge:write': 'Create and change knowledge-base articles',
  'knowledge:send': 'Send published public articles to customers by SMS, e-mail or fax (with knowledge:read)',
  'reports:read': 'Read reports and interval statistics',
  'ivr:read': 'Read IVR flows, their versions and node traffic; run the flow simulator',
  'ivr:write': 'Save IVR flow drafts, publish and roll back versions',
  'acd:supervise': "Change an ACD agent's status on their behalf (log in, break, log out)",
  'demo:write': 'Make the simulated exchange place calls into the appliance (demo card)',
  'appointments:read': 'Read appointment services, free slots and bookings (预约服务)',
  'appointments:write': 'Book, cancel, reschedule and complete appointments',
} as const;

export type Scope = keyof typeof ScopeDescriptions;

export const Scopes = Object.keys(ScopeDescriptions) as [Scope, ...Scope[]];

export function isScope(s: string): s is Scope {
  return Object.hasOwn(ScopeDescriptions, s);
}
