/**
 * What the agent desktop, supervisor console and wallboard (issue 9) need from the rest of the
 * appliance, as small ports (DESIGN.md "Dependency direction": the panel calls domain services
 * only). The daemon passes implementations through `createPanel(deps)`; each has a null
 * implementation here so the pages render — with the feature marked unavailable — when the
 * service behind it is not wired yet.
 *
 * - `AcdPort`: the part of appliance/acd/acd.ts the panel calls (an `Acd` instance fits).
 * - `WorkOrdersPort`: the part of appliance/workorders/workorder-service.ts the desk calls.
 * - `CustomerLookup`: caller number → customer and tier for the screen pop. The customers
 *   module (appliance/customers) fits through `customerLookupFrom(service)`.
 * - `CallControl`: hold / transfer / consult / hang up / DTMF / record pause for the agent's
 *   own call (appliance/calls/agent-call-control.ts); without it the buttons are disabled.
 * - `CallHistory`: recent calls of a number. Without it the desk shows the calls seen since
 *   the panel started (live/call-tracker.ts).
 * - `AcdDirectory`: which ACD agent a panel user is, the queues and agents with their
 *   departments (the data scope of issue 9: "data scope by department").
 */
import type { Acd } from '../../appliance/acd/acd.js';
import type { WorkOrderService } from '../../appliance/workorders/workorder-service.js';

export type AcdPort = Pick<Acd, 'setStatus' | 'endWrapUp' | 'queueSnapshot' | 'agentSnapshot' | 'explain' | 'moveCaller'>;

export type WorkOrdersPort = Pick<WorkOrderService, 'list' | 'todo' | 'create' | 'listTypes' | 'ordersForCall'>;

export interface CustomerCard {
  customerId: string;
  name: string;
  /** The customers module's tier code (vip, large, critical, standard) or the ACD's. */
  tier: string;
}

export interface CustomerLookup {
  /** Customers owning this caller number (best match first); [] when unknown or withheld. */
  byPhone(number: string): CustomerCard[];
}

export const nullCustomerLookup: CustomerLookup = { byPhone: () => [] };

/**
 * Adapts the customers module's service (structurally: `lookupByPhone`) to the port, so the
 * panel does not depend on that module's internals.
 */
export function customerLookupFrom(service: {
  lookupByPhone(raw: string): { matches: ReadonlyArray<{ customerId: string; name: string; tier: string }> };
}): CustomerLookup {
  return { byPhone: (n) => service.lookupByPhone(n).matches.map((m) => ({ customerId: m.customerId, name: m.name, tier: m.tier })) };
}

/**
 * The desk's call controls. `transfer` and `consult` take `to` (a number, `agent:<id>` or
 * `queue:<id>`; consult: not a queue); `complete` turns a consultation into an attended
 * transfer, `conference` joins all three; `dtmf` sends `digits` to the caller.
 */
export const CallActions = ['answer', 'hold', 'unhold', 'transfer', 'consult', 'complete', 'cancel-consult', 'conference', 'hangup', 'dtmf', 'record-pause', 'record-resume'] as const;
export type CallAction = (typeof CallActions)[number];

export type CallControlResult = { ok: true } | { ok: false; reason: 'no-call' | 'not-allowed' | 'failed'; detail?: string };

/** Call control for the agent's own phone, through the appliance (issue 9 "call controls"). */
export interface CallControl {
  act(req: { agentId: string; callId: string; action: CallAction; to?: string; digits?: string }): Promise<CallControlResult>;
}

export interface RecentCall {
  callId: string;
  at: number;
  queueId: string | null;
  outcome: string;
  agentId: string | null;
}

export interface CallHistory {
  recent(number: string, limit: number): RecentCall[];
}

export interface QueueInfo {
  id: string;
  name: string;
  /** Owning department (data scope); null: visible only to users whose scope is "all". */
  departmentId: string | null;
}

export interface AgentInfo {
  id: string;
  name: string;
  departmentId: string | null;
}

export interface AcdDirectory {
  /** The ACD agent a signed-in panel user works as, or null. */
  agentIdFor(user: { id: string; login: string }): string | null;
  queues(): QueueInfo[];
  agents(): AgentInfo[];
}

/** A directory from fixed lists; agents are matched to panel users by login. */
export function staticDirectory(d: { queues: QueueInfo[]; agents: AgentInfo[]; agentByLogin?: Record<string, string> }): AcdDirectory {
  const ids = new Set(d.agents.map((a) => a.id));
  return {
    agentIdFor: (u) => d.agentByLogin?.[u.login] ?? (ids.has(u.login) ? u.login : null),
    queues: () => d.queues,
    agents: () => d.agents,
  };
}

export const emptyDirectory: AcdDirectory = staticDirectory({ queues: [], agents: [] });

export interface Code {
  code: string;
  label: string;
}

/** Break reasons (示忙原因) offered on the desk when none are configured. */
export const DEFAULT_BREAK_REASONS: readonly Code[] = [
  { code: 'rest', label: '小休' },
  { code: 'meal', label: '用餐' },
  { code: 'meeting', label: '会议' },
  { code: 'training', label: '培训' },
  { code: 'after-call', label: '整理' },
];

/** Wrap-up codes (话后小结) offered when none are configured. */
export const DEFAULT_WRAP_UP_CODES: readonly Code[] = [
  { code: 'consult', label: '咨询' },
  { code: 'repair', label: '故障报修' },
  { code: 'complaint', label: '投诉' },
  { code: 'billing', label: '电费查询' },
  { code: 'other', label: '其他' },
];

/** Everything the live pages use, resolved (null implementations where not given). */
export interface LiveServices {
  acd: AcdPort | null;
  workOrders: WorkOrdersPort | null;
  customers: CustomerLookup;
  callControl: CallControl | null;
  callHistory: CallHistory | null;
  directory: AcdDirectory;
  breakReasons: readonly Code[];
  wrapUpCodes: readonly Code[];
}
