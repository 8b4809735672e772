/**
 * The ACD's vocabulary (issue 6, STYLE.md "Conventions"). Agents follow FreeSWITCH
 * mod_callcenter's split: `status` is chosen by the person (logged out, available, on break with
 * a reason code), `state` is owned by the ACD (idle, offered, in call, wrap-up, outbound).
 * Strategy names are Asterisk app_queue's (ringall → ring-all, leastrecent → least-recent, …);
 * caller priority comes from the customer's tier, FIFO within a priority.
 */

export const AgentStatuses = ['logged-out', 'available', 'on-break'] as const;
export type AgentStatus = (typeof AgentStatuses)[number];

export const AgentStates = ['idle', 'offered', 'in-call', 'wrap-up', 'outbound'] as const;
export type AgentState = (typeof AgentStates)[number];

export const Strategies = ['ring-all', 'least-recent', 'fewest-calls', 'rr-memory', 'linear', 'random', 'skills-based'] as const;
export type Strategy = (typeof Strategies)[number];

/** Customer tiers, lowest first. Tier comes from the customers module, or IVR variables before it exists. */
export const CustomerTiers = ['standard', 'large-customer', 'vip', 'critical-load'] as const;
export type CustomerTier = (typeof CustomerTiers)[number];

/** Default priority per tier (higher is served first); configurable per ACD. */
export const defaultTierPriority: Readonly<Record<CustomerTier, number>> = {
  standard: 0,
  'large-customer': 10,
  vip: 20,
  'critical-load': 30,
};

/** Proficiency 1 (basic) … 5 (expert). */
export type Proficiency = 1 | 2 | 3 | 4 | 5;

export interface SkillRequirement {
  skill: string;
  minProficiency: number;
}

/**
 * One explicit relaxation step: from `afterMs` of queue wait on, these requirements apply.
 * Steps are ordered by `afterMs`; the first has `afterMs: 0`. An empty list means "anyone".
 */
export interface RelaxationStep {
  afterMs: number;
  requirements: readonly SkillRequirement[];
}

export type OverflowTarget =
  | { kind: 'queue'; queueId: string }
  | { kind: 'voicemail'; box: string }
  | { kind: 'ivr'; flow: string }
  | { kind: 'callback' }
  | { kind: 'hangup' };

/**
 * When a queue refuses or drops callers for lack of agents (Asterisk joinempty/leavewhenempty,
 * simplified): `never` = always keep them; `no-logged-in` = no member is logged in;
 * `no-available` = no member has status available (all logged out or on break).
 */
export const EmptyRules = ['never', 'no-logged-in', 'no-available'] as const;
export type EmptyRule = (typeof EmptyRules)[number];

export interface CallingHours {
  /** Local minutes after midnight, [start, end). */
  startMinute: number;
  endMinute: number;
  utcOffsetMinutes: number;
}

export interface CallbackConfig {
  /** Key the caller presses to keep their place and hang up. */
  key: string;
  maxAttempts: number;
  retryDelayMs: number;
  /** A callback not completed this long after it was requested expires. */
  expiryMs: number;
  callingHours?: CallingHours;
  /** How long the customer's phone rings on a callback attempt. */
  customerRingMs: number;
}

export interface AnnounceConfig {
  /** Period of position / estimated-wait announcements. */
  periodMs: number;
  /** Hold music prompt name between announcements (null: silence). */
  music: string | null;
}

export interface QueueConfig {
  id: string;
  name: string;
  /**
   * The work-order department that owns the queue (appliance/workorders): department-scoped
   * supervisors see it on the live boards (issue 9 "data scope by department"). Unset: only
   * centre-wide users see it.
   */
  departmentId?: string;
  strategy: Strategy;
  /** Agent ring time per offer (Asterisk `timeout`). */
  ringTimeoutMs: number;
  /** Default wrap-up (after-call work) time; a membership may override it. */
  wrapUpMs: number;
  /** 0 = unlimited. */
  maxLength: number;
  /** 0 = unlimited; when reached the caller overflows. */
  maxWaitMs: number;
  joinWhenEmpty: EmptyRule;
  leaveWhenEmpty: EmptyRule;
  /** Where callers go when the queue is full, times out or empties. Unset: they hang up. */
  overflow?: OverflowTarget;
  /** Skill requirements over wait time; unset or empty: no skill filter. */
  skills?: readonly RelaxationStep[];
  callback?: CallbackConfig;
  announce?: AnnounceConfig;
  /** Service-level threshold T (METRICS.md §3), e.g. 20 000 ms. */
  serviceLevelMs: number;
  /** Short-abandon threshold S. */
  shortAbandonMs: number;
  /** Handle time assumed for wait estimates until the queue has live data. */
  defaultAhtMs: number;
}

export interface RingNoAnswerPolicy {
  /** 'break' puts the agent on break with `reason`; 'none' leaves them available. */
  action: 'break' | 'none';
  reason: string;
}

export interface Membership {
  queueId: string;
  /** Asterisk penalty: members with a lower penalty are offered first; 0 is best. */
  penalty: number;
  /** Overrides the queue's wrap-up time for this agent. */
  wrapUpMs?: number;
}

export interface AgentConfig {
  id: string;
  name: string;
  /**
   * The agent's work-order department. Unset: the department of the panel user whose login is
   * the agent id (the same link the desk uses), else none (control-panel/live/acd-directory.ts).
   */
  departmentId?: string;
  /** skill name → proficiency 1–5. */
  skills: Readonly<Record<string, number>>;
  memberships: readonly Membership[];
}

/** Why a caller left a queue segment. */
export const QueueExits = ['answered', 'abandoned', 'callback', 'overflowed', 'rejected'] as const;
export type QueueExit = (typeof QueueExits)[number];

export type QueueOutcome =
  | { outcome: 'answered'; agentId: string; waitMs: number }
  | { outcome: 'abandoned'; waitMs: number }
  | { outcome: 'callback-requested'; callbackId: string; waitMs: number }
  | { outcome: 'overflowed'; target: OverflowTarget; reason: OverflowReason; waitMs: number }
  | { outcome: 'rejected'; reason: 'full' | 'empty' | 'unknown-queue' };

export type OverflowReason = 'full' | 'timeout' | 'empty' | 'queue-deleted';

/** The ring-no-answer reason code agents get by default. */
export const RNA_REASON = 'ring-no-answer';
