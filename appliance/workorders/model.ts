/**
 * The work-order (工单) vocabulary: statuses, actions, sources, priorities and the shapes the
 * service hands out. Seed specs: water-utility hotline [W 2–4] (转办, 退办, 回复, 派工, 催办, flow
 * tracking, follow-up until solved), Henan 95598 [E 5.3] (business types: consultation, fault
 * repair, complaints, suggestions, applications, theft reports). Every enum is an `as const`
 * array stored as TEXT with a CHECK in store/migrations/0004-workorders.ts; the two lists must
 * stay equal (workorder-store.test.ts inserts every value).
 *
 * Links to telephony (calls, recordings) are plain ids: this module never imports telephony code.
 */

/** Business kinds of work order; a type (workorder_types row) has one kind. */
export const OrderKinds = [
  'consultation', // 咨询
  'repair', // 故障报修
  'complaint', // 投诉
  'suggestion', // 建议
  'application', // 业务申请 / 报装
  'theft-report', // 违窃举报
  'praise', // 表扬
  'other',
] as const;
export type OrderKind = (typeof OrderKinds)[number];

/** Where the order came from [W 2: 来电、来信、来访]. */
export const OrderSources = ['call', 'voicemail', 'fax', 'web', 'letter', 'visit', 'api', 'sms', 'email'] as const;
export type OrderSource = (typeof OrderSources)[number];

export const Priorities = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof Priorities)[number];

/** Service-area class for field-service clocks (repair arrival 45/90/120 min, METRICS.md [U1]). */
export const AreaClasses = ['urban', 'rural', 'remote'] as const;
export type AreaClass = (typeof AreaClasses)[number];

/**
 * Order status. `new` 待受理 → `accepted` 已受理 (with the hotline) → `in-progress` 处理中 (with
 * departments) → `replied` 已回复 (back with the acceptor) → `closed` 办结 → `visited` 已回访.
 * `suspended` 挂起 and `waiting-customer` 待客户 pause the SLA clocks.
 */
export const OrderStatuses = [
  'new',
  'accepted',
  'in-progress',
  'replied',
  'suspended',
  'waiting-customer',
  'closed',
  'visited',
  'cancelled',
] as const;
export type OrderStatus = (typeof OrderStatuses)[number];

/** Statuses in which SLA clocks stand still (helpdesks lack this; METRICS.md §7). */
export const PausedStatuses: readonly OrderStatus[] = ['suspended', 'waiting-customer'];

/** Actions a person (or the system) takes on an order; each one appends a workorder_events row. */
export const OrderActions = [
  'create',
  'accept', // 受理
  'dispatch', // 派工
  'transfer', // 转办
  'return', // 退办
  'reply', // 回复
  'arrive', // 到达现场 (field team on site; stops the arrival clock)
  'urge', // 催办
  'suspend', // 挂起
  'await-customer', // 待客户补充
  'resume', // 恢复
  'close', // 办结
  'reopen', // 重开
  'visit', // 回访
  'cancel', // 作废
  'sla-warn',
  'sla-breach',
] as const;
export type OrderAction = (typeof OrderActions)[number];

/** How an action reached the appliance, recorded on every event row. */
export const ActionChannels = ['web', 'api', 'phone', 'ivr', 'system'] as const;
export type ActionChannel = (typeof ActionChannels)[number];

export const VisitResults = ['satisfied', 'dissatisfied', 'unreachable'] as const;
export type VisitResult = (typeof VisitResults)[number];

export const AssigneeKinds = ['user', 'department', 'role'] as const;
export type AssigneeKind = (typeof AssigneeKinds)[number];

/** One assignment of a workflow step to a person, department or role. */
export const AssignmentStatuses = ['queued', 'pending', 'replied', 'returned', 'transferred', 'cancelled'] as const;
export type AssignmentStatus = (typeof AssignmentStatuses)[number];

export const SlaMetrics = [
  'accept', // created → accepted
  'arrival', // dispatched → on site (repair arrival)
  'restore', // on site → replied (restoration)
  'reply', // dispatched → all replies in
  'resolve', // created → closed
  'step', // a workflow step's own limit
] as const;
export type SlaMetric = (typeof SlaMetrics)[number];

export const SlaStatuses = ['running', 'paused', 'met', 'cancelled'] as const;
export type SlaStatus = (typeof SlaStatuses)[number];

export const SlaStates = ['ok', 'warned', 'breached'] as const;
export type SlaState = (typeof SlaStates)[number];

/** Who is acting, and from where (every event row records it). */
export interface Actor {
  /** `user:42`, `apikey:key_01J…`, `system`. */
  id: string;
  roles: readonly string[];
  departmentIds: readonly string[];
  ip?: string | null;
  channel: ActionChannel;
}

export interface Assignee {
  kind: AssigneeKind;
  id: string;
}

export interface Assignment {
  id: number;
  assignee: Assignee;
  stepId: string;
  round: number;
  seq: number;
  status: AssignmentStatus;
  reply: string | null;
  actedBy: string | null;
  createdAt: number;
  actedAt: number | null;
}

export interface WorkOrder {
  id: string;
  number: string;
  typeId: string;
  categoryId: string | null;
  source: OrderSource;
  priority: Priority;
  areaClass: AreaClass | null;
  status: OrderStatus;
  title: string;
  description: string;
  fields: Record<string, unknown>;
  customerId: string | null;
  contactName: string | null;
  contactPhone: string | null;
  address: string | null;
  createdBy: string;
  acceptorId: string | null;
  currentStep: string | null;
  stepRound: number;
  resumeStatus: OrderStatus | null;
  urgeCount: number;
  reopenCount: number;
  visitResult: VisitResult | null;
  slaState: SlaState;
  dueAt: number | null;
  createdAt: number;
  updatedAt: number;
  acceptedAt: number | null;
  closedAt: number | null;
  version: number;
  callIds: string[];
  recordingIds: string[];
}

export interface OrderEvent {
  id: number;
  orderId: string;
  at: number;
  actor: string;
  actorIp: string | null;
  channel: ActionChannel;
  action: OrderAction;
  fromStatus: OrderStatus | null;
  toStatus: OrderStatus;
  stepId: string | null;
  note: string | null;
  data: Record<string, unknown> | null;
  version: number;
}
