/**
 * The ACD engine (issue 6): queues of waiting callers, agents with a person-owned status and an
 * ACD-owned state (agent-state.ts), routing by strategy (strategies.ts) with skills relaxing
 * over wait (skills.ts), tier priority and FIFO (waiting-list.ts), overflow, callback-in-queue
 * (agent-first), wrap-up, ring-no-answer → break, reconciliation against the call layer and
 * explainability. It drives legs only through Channel and the ports in ports.ts; every timer
 * is on the injected Clock; every change is an event on the bus and a row in the store.
 *
 * Routing: one pass (`dispatch`) walks every waiting caller of every queue in service order
 * (priority, then place in line) and offers each the best idle agent eligible for it. A
 * higher-priority caller is therefore always offered an agent before a lower one in the same
 * queue, and a caller whose requirements no idle agent meets does not block the callers behind
 * it. A pass runs on every event that can create a match: join, agent idle/available, offer
 * ended, relaxation step reached, callback ready, cooldown over.
 *
 * Durations (queue wait, talk, hold, wrap-up) are measured on clock.monotonic(), so a wall
 * clock step cannot make a wait negative; stored timestamps are clock.now().
 *
 * Persistence: configuration changes are written through to the store (migration 0009) and
 * `restore()` loads them after a restart, with agents' chosen status and pending callbacks.
 * Interval closing and the midnight reset are acd-scheduler.ts; REST is acd-routes.ts.
 */
import type { Channel, PartyNumber, PlayItem } from '../channel/channel.js';
import { HangupCauses } from '../channel/q850.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { NotFoundError, ValidationError, type FieldIssue } from '../core/errors.js';
import type { EventBus, EventMap } from '../core/events.js';
import { newId, newMonotonicId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import type { AcdEventMap, AcdEventType, AgentChangePayload, AnyAcdEventRecord } from './acd-events.js';
import { assertStateTransition, assertStatusTransition, canBeOffered } from './agent-state.js';
import { estimatedWaitMs, nextCallingTime, RollingMean, withinCallingHours } from './estimate.js';
import { addEntry, addExit, addHandled, emptyCounts, type QueueCounts } from './metrics.js';
import {
  defaultTierPriority,
  RNA_REASON,
  type AgentConfig,
  type AgentState,
  type AgentStatus,
  type CallbackConfig,
  type CustomerTier,
  type EmptyRule,
  type OverflowReason,
  type OverflowTarget,
  type QueueConfig,
  type QueueOutcome,
  type RelaxationStep,
  type RingNoAnswerPolicy,
  type SkillRequirement,
} from './model.js';
import type { AgentDialer, CallBridger, CallLiveness, CustomerDialer, DialOutcome, OfferedCall } from './ports.js';
import { activeRequirements, activeStepIndex, checkSkills, nextRelaxation, validateAgentSkills, validateSteps } from './skills.js';
import type { AcdStorePort, CallbackRecord, IntervalStatsRecord } from './store-port.js';
import { intervalStats } from './interval-stats.js';
import { parseAgentConfig, parseQueueConfig } from './acd-schemas.js';
import { pick, type Candidate } from './strategies.js';
import { WaitingList } from './waiting-list.js';

export interface AcdDeps {
  clock: Clock;
  bus: EventBus;
  log: Logger;
  store: AcdStorePort;
  dialer: AgentDialer;
  bridger: CallBridger;
  customerDialer?: CustomerDialer;
  liveness?: CallLiveness;
  /** Uniform [0, 1) source for the random strategy (default Math.random). */
  random?: () => number;
  /** When the agent's leg ends first: true keeps the caller up (post-call survey, ivr/postcall-survey.ts). */
  keepCaller?: (e: { callId: string; queueId: string; agentId: string; ended: Channel; caller: Channel }) => boolean;
  /**
   * The work-order departments (appliance/workorders): a queue or agent naming another is
   * refused. Not checked on restore (a stored queue is kept when its department went away).
   * Unset: any department id is accepted.
   */
  departments?: { has(departmentId: string): boolean };
}

export interface AcdOptions {
  tierPriority?: Readonly<Record<CustomerTier, number>>;
  ringNoAnswer?: RingNoAnswerPolicy;
  /** After a busy/failed offer the agent is not offered again for this long (Asterisk `retry`). */
  busyRetryMs?: number;
  reconcileIntervalMs?: number;
  /** The skill catalogue; when given, config naming other skills is refused. */
  knownSkills?: readonly string[];
  /** Where callers go when their queue is deleted. */
  fallbackQueueId?: string;
  /**
   * Group commit of the event log and agent rows (ms on the clock). 0 (default): one
   * transaction at the end of each tick. Above 0: the ticks within the window share one
   * transaction — under synchronous=FULL every COMMIT is an fsync on the main thread, and a
   * call is 4–6 ticks (joined, offered, answered, ended, wrap-up), so at 200 calls/s one
   * commit per tick is a thousand fsyncs a second. A crash loses at most the window's events.
   */
  persistWindowMs?: number;
}

export interface EnqueueRequest {
  channel: Channel;
  queueId: string;
  callId?: string;
  tier?: CustomerTier;
  /** Overrides the tier's priority. */
  priority?: number;
  /** Per-call requirements (e.g. language from the IVR); default: the queue's steps. */
  requirements?: readonly RelaxationStep[];
  /** IVR variables for the agent's screen pop and the call record (queue.caller.joined). */
  vars?: Readonly<Record<string, string>>;
}

interface Member {
  penalty: number;
  wrapUpMs?: number;
}

interface OfferRt {
  id: string;
  entry: Entry;
  pending: Set<string>;
  ctrl: AbortController;
  timer: TimerHandle | null;
  settled: boolean;
}

interface CallRt {
  callId: string;
  queueId: string;
  agentId: string;
  caller: Channel | null;
  agentCh: Channel;
  answeredMono: number;
  holdMs: number;
  holdSinceMono: number | null;
  /** A callback whose customer is still being dialled. */
  dialing: boolean;
  ended: boolean;
  detach: () => void;
}

interface WrapRt {
  callId: string;
  queueId: string;
  startedMono: number;
  talkMs: number;
  holdMs: number;
  timer: TimerHandle | null;
}

interface AgentRt {
  cfg: AgentConfig;
  status: AgentStatus;
  breakReason: string | null;
  state: AgentState;
  members: Map<string, Member>;
  calls: Map<string, number>;
  lastEnded: Map<string, number>;
  offer: OfferRt | null;
  call: CallRt | null;
  wrap: WrapRt | null;
  notBeforeMono: number;
  removed: boolean;
}

interface QueueRt {
  cfg: QueueConfig;
  waiting: WaitingList<Entry>;
  /** Member agent ids in configured order (linear, rr-memory). */
  order: Map<string, number>;
  nextOrder: number;
  rrLastOrder: number | null;
  aht: RollingMean;
}

interface Entry {
  id: string;
  callId: string;
  queueId: string;
  kind: 'inbound' | 'callback';
  channel: Channel | null;
  party: PartyNumber;
  tier: CustomerTier;
  priority: number;
  placeAt: number;
  seq: number;
  enqueuedMono: number;
  steps: readonly RelaxationStep[];
  state: 'waiting' | 'offering' | 'gone';
  offer: OfferRt | null;
  timers: TimerHandle[];
  /** Aborted when the entry leaves its line; created only for announcement loops. */
  leave: AbortController | null;
  detach: () => void;
  resolve: (o: QueueOutcome) => void;
  visited: Set<string>;
  callback: CallbackRecord | null;
  wake: TimerHandle | null;
  /** IVR variables the caller brought (EnqueueRequest.vars). */
  vars?: Readonly<Record<string, string>>;
}

export interface Explanation {
  callId: string;
  queueId: string;
  kind: 'inbound' | 'callback';
  state: 'waiting' | 'offering';
  strategy: string;
  tier: CustomerTier;
  priority: number;
  position: number;
  /** Callers in the same queue served before this one. */
  ahead: number;
  waitedMs: number;
  activeStep: { index: number; requirements: readonly { skill: string; minProficiency: number }[] } | null;
  nextRelaxation: { at: number; inMs: number; stepIndex: number; requirements: readonly { skill: string; minProficiency: number }[] } | null;
  eligible: { agentId: string; name: string; penalty: number; skillScore: number }[];
  ineligible: { agentId: string; name: string; reasons: string[] }[];
  offeredTo: string[];
  callback: { readyAt: number; attempts: number; expiresAt: number; reasons: string[] } | null;
}

export interface RestoreReport {
  queues: number;
  agents: number;
  /** Pending callbacks put back in line. */
  callbacks: number;
  /** Stored callbacks closed at restore (expired, attempts used up, queue gone). */
  expiredCallbacks: number;
  /** Stored configuration rows that failed validation (skipped), by field. */
  issues: FieldIssue[];
}

export interface QueueSnapshot {
  queueId: string;
  waiting: number;
  callbacksWaiting: number;
  longestWaitMs: number;
  staffed: number;
  agents: Record<AgentState | 'on-break' | 'logged-out', number>;
  estimatedWaitMs: number | null;
  counts: QueueCounts;
}

/** Read through a function so TypeScript does not narrow a level that changes under await. */
/** Abort reason for the ACD's own controllers (a shared value: no DOMException per abort). */
const LEFT = Object.freeze({ reason: 'acd' });

function ended(ch: Channel): boolean {
  return ch.level === 'terminated';
}

const DEFAULT_CALLBACK: CallbackConfig = {
  key: '1',
  maxAttempts: 3,
  retryDelayMs: 300_000,
  expiryMs: 4 * 3_600_000,
  customerRingMs: 30_000,
};

export class Acd {
  private readonly agents = new Map<string, AgentRt>();
  private readonly queues = new Map<string, QueueRt>();
  private readonly entries = new Map<string, Entry>();
  /** Available and idle agents (the only ones a pass may offer). */
  private readonly idle = new Set<AgentRt>();
  private readonly realtime = new Map<string, QueueCounts>();
  private readonly tierPriority: Readonly<Record<CustomerTier, number>>;
  private readonly rna: RingNoAnswerPolicy;
  private readonly busyRetryMs: number;
  private readonly knownSkills: ReadonlySet<string> | undefined;
  private readonly random: () => number;
  private seq = 0;
  private restoring = false;
  private dispatching = false;
  private again = false;
  private pendingEvents: AnyAcdEventRecord[] = [];
  private readonly dirtyAgents = new Set<AgentRt>();
  private flushScheduled = false;
  private flushTimer: TimerHandle | null = null;
  private reconcileTimer: TimerHandle | null = null;
  /** Routing passes run so far (for the benchmark and tests). */
  passes = 0;

  constructor(
    private readonly deps: AcdDeps,
    private readonly opts: AcdOptions = {},
  ) {
    this.tierPriority = opts.tierPriority ?? defaultTierPriority;
    this.rna = opts.ringNoAnswer ?? { action: 'break', reason: RNA_REASON };
    this.busyRetryMs = opts.busyRetryMs ?? 5_000;
    this.knownSkills = opts.knownSkills ? new Set(opts.knownSkills) : undefined;
    this.random = deps.random ?? Math.random;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Start periodic reconciliation against the call layer. */
  start(): void {
    this.reconcileTimer ??= this.deps.clock.setInterval(() => this.reconcile(), this.opts.reconcileIntervalMs ?? 10_000);
  }

  stop(): void {
    this.reconcileTimer?.cancel();
    this.reconcileTimer = null;
    this.flush();
  }

  // ---------------------------------------------------------------- configuration

  upsertQueue(cfg: QueueConfig): void {
    const issues: FieldIssue[] = [];
    const p = `queues.${cfg.id}`;
    if (cfg.ringTimeoutMs <= 0) issues.push({ path: `${p}.ringTimeoutMs`, message: 'must be > 0' });
    if (cfg.wrapUpMs < 0) issues.push({ path: `${p}.wrapUpMs`, message: 'must be ≥ 0' });
    if (cfg.overflow?.kind === 'queue' && cfg.overflow.queueId !== cfg.id && !this.queues.has(cfg.overflow.queueId))
      issues.push({ path: `${p}.overflow.queueId`, message: `unknown queue ${cfg.overflow.queueId}` });
    if (cfg.overflow?.kind === 'queue' && cfg.overflow.queueId === cfg.id)
      issues.push({ path: `${p}.overflow.queueId`, message: 'a queue cannot overflow to itself' });
    if (cfg.announce && cfg.announce.periodMs <= 0) issues.push({ path: `${p}.announce.periodMs`, message: 'must be > 0' });
    issues.push(...this.departmentIssues(cfg.departmentId, p));
    if (issues.length > 0) throw new ValidationError(`invalid queue ${cfg.id}`, issues);
    if (cfg.skills) validateSteps(cfg.skills, `${p}.skills`, this.knownSkills);
    if (!this.restoring) this.deps.store.saveQueueConfig(cfg);
    const existing = this.queues.get(cfg.id);
    if (existing) {
      existing.cfg = cfg;
    } else {
      this.queues.set(cfg.id, {
        cfg,
        waiting: new WaitingList<Entry>(),
        order: new Map(),
        nextOrder: 0,
        rrLastOrder: null,
        aht: new RollingMean(),
      });
      this.realtime.set(cfg.id, emptyCounts());
    }
    this.dispatch();
  }

  /** Add or update an agent (skills, memberships). Status and state are kept on update. */
  upsertAgent(cfg: AgentConfig): void {
    validateAgentSkills(cfg.skills, `agents.${cfg.id}.skills`);
    const issues: FieldIssue[] = [];
    cfg.memberships.forEach((m, i) => {
      if (!this.queues.has(m.queueId))
        issues.push({ path: `agents.${cfg.id}.memberships.${i}.queueId`, message: `unknown queue ${m.queueId}` });
    });
    if (this.knownSkills)
      for (const s of Object.keys(cfg.skills))
        if (!this.knownSkills.has(s)) issues.push({ path: `agents.${cfg.id}.skills.${s}`, message: `unknown skill ${s}` });
    issues.push(...this.departmentIssues(cfg.departmentId, `agents.${cfg.id}`));
    if (issues.length > 0) throw new ValidationError(`invalid agent ${cfg.id}`, issues);
    if (!this.restoring) this.deps.store.saveAgentConfig(cfg);
    let a = this.agents.get(cfg.id);
    if (!a) {
      a = {
        cfg,
        status: 'logged-out',
        breakReason: null,
        state: 'idle',
        members: new Map(),
        calls: new Map(),
        lastEnded: new Map(),
        offer: null,
        call: null,
        wrap: null,
        notBeforeMono: 0,
        removed: false,
      };
      this.agents.set(cfg.id, a);
    }
    a.cfg = cfg;
    a.removed = false; // re-added while finishing a call from before its removal
    for (const q of a.members.keys()) if (!cfg.memberships.some((m) => m.queueId === q)) this.queues.get(q)?.order.delete(cfg.id);
    a.members = new Map(cfg.memberships.map((m) => [m.queueId, { penalty: m.penalty, wrapUpMs: m.wrapUpMs }]));
    for (const m of cfg.memberships) {
      const q = this.queues.get(m.queueId)!;
      if (!q.order.has(cfg.id)) q.order.set(cfg.id, q.nextOrder++);
    }
    this.dispatch();
  }

  private departmentIssues(departmentId: string | undefined, prefix: string): FieldIssue[] {
    if (departmentId === undefined || this.restoring || !this.deps.departments || this.deps.departments.has(departmentId)) return [];
    return [{ path: `${prefix}.departmentId`, message: `unknown department ${departmentId}` }];
  }

  /** Remove an agent. One on a call keeps it to the end (and its wrap-up), then disappears. */
  removeAgent(agentId: string): void {
    const a = this.agent(agentId);
    if (a.removed) throw new NotFoundError('agent', agentId);
    this.deps.store.deleteAgentConfig(agentId);
    a.removed = true;
    for (const q of a.members.keys()) this.queues.get(q)?.order.delete(agentId);
    a.members.clear();
    this.idle.delete(a);
    if (a.status !== 'logged-out') this.changeStatus(a, 'logged-out', null, 'supervisor');
    this.dropIfRemoved(a);
  }

  /**
   * Delete a queue. Waiting callers are never lost: they move to `fallbackQueueId` (argument or
   * option) keeping their place order, or else take the queue's overflow (hang-up last).
   */
  deleteQueue(queueId: string, fallbackQueueId = this.opts.fallbackQueueId): void {
    const q = this.queue(queueId);
    this.deps.store.deleteQueueConfig(queueId);
    const fallback = fallbackQueueId && fallbackQueueId !== queueId ? this.queues.get(fallbackQueueId) : undefined;
    for (const a of this.agents.values()) if (a.members.delete(queueId)) a.cfg = { ...a.cfg, memberships: a.cfg.memberships.filter((m) => m.queueId !== queueId) };
    for (const e of q.waiting.list()) {
      if (e.kind === 'callback') {
        if (fallback) this.moveEntry(e, fallback, false, 'acd');
        else this.endCallback(e, 'queue-deleted');
        continue;
      }
      const target: OverflowTarget = fallback
        ? { kind: 'queue', queueId: fallback.cfg.id }
        : q.cfg.overflow && !(q.cfg.overflow.kind === 'queue' && q.cfg.overflow.queueId === queueId)
          ? q.cfg.overflow
          : { kind: 'hangup' };
      this.overflow(e, 'queue-deleted', target);
    }
    this.queues.delete(queueId);
    for (const other of this.queues.values())
      if (other.cfg.overflow?.kind === 'queue' && other.cfg.overflow.queueId === queueId) {
        other.cfg = { ...other.cfg, overflow: { kind: 'hangup' } };
        this.deps.store.saveQueueConfig(other.cfg);
      }
    this.dispatch();
  }

  /** Queue configurations, in creation order. */
  queueConfigs(): QueueConfig[] {
    return [...this.queues.values()].map((q) => q.cfg);
  }

  queueConfig(queueId: string): QueueConfig {
    return this.queue(queueId).cfg;
  }

  /** Agent configurations (agents removed while on a call are no longer listed). */
  agentConfigs(): AgentConfig[] {
    return [...this.agents.values()].filter((a) => !a.removed).map((a) => a.cfg);
  }

  agentConfig(agentId: string): AgentConfig {
    const a = this.agent(agentId);
    if (a.removed) throw new NotFoundError('agent', agentId);
    return a.cfg;
  }

  /**
   * After a restart: load the stored configuration (checked with the REST schemas and the same
   * cross-reference rules as upsert; a bad row is skipped and reported with field paths), put
   * agents back in the status they chose (state idle: calls did not survive; an agent stored
   * in a call gets an `acd.agent.reconciled` event), and resume pending callbacks in their
   * queue's line. Call once, before start() and before callers arrive.
   */
  restore(): RestoreReport {
    const report: RestoreReport = { queues: 0, agents: 0, callbacks: 0, expiredCallbacks: 0, issues: [] };
    const { queues, agents } = this.deps.store.loadConfig();
    const skip = (err: unknown): void => {
      if (err instanceof ValidationError) report.issues.push(...err.issues);
      else throw err;
    };
    this.restoring = true;
    try {
      const parsed: QueueConfig[] = [];
      queues.forEach((raw, i) => {
        const id = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : String(i);
        try {
          parsed.push(parseQueueConfig(raw, `queues.${id}`));
        } catch (err) {
          skip(err);
        }
      });
      // Two passes so an overflow may name a queue stored after it.
      for (const cfg of parsed) {
        try {
          this.upsertQueue(cfg.overflow?.kind === 'queue' ? { ...cfg, overflow: { kind: 'hangup' } } : cfg);
        } catch (err) {
          skip(err);
        }
      }
      for (const cfg of parsed) {
        if (!this.queues.has(cfg.id)) continue;
        try {
          if (cfg.overflow?.kind === 'queue') this.upsertQueue(cfg);
          report.queues++;
        } catch (err) {
          skip(err);
        }
      }
      agents.forEach((raw, i) => {
        const id = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : String(i);
        try {
          this.upsertAgent(parseAgentConfig(raw, `agents.${id}`));
          report.agents++;
        } catch (err) {
          skip(err);
        }
      });
    } finally {
      this.restoring = false;
    }
    for (const row of this.deps.store.agentStates()) {
      const a = this.agents.get(row.agentId);
      if (!a || a.removed) continue;
      if (row.state !== 'idle') this.reconciled(a, null, `restart (stored state ${row.state})`);
      if (row.status !== a.status) this.changeStatus(a, row.status, row.breakReason, 'acd');
    }
    for (const cb of this.deps.store.pendingCallbacks()) {
      if (this.entries.has(cb.id)) continue;
      if (this.restoreCallback(cb)) report.callbacks++;
      else report.expiredCallbacks++;
    }
    if (report.issues.length > 0) this.deps.log.error({ issues: report.issues }, 'acd configuration rows skipped');
    this.dispatch();
    return report;
  }

  // ---------------------------------------------------------------- agent status (the person's)

  /** Log in, go available, take a break (with reason code) or log out: from the phone or desktop. */
  setStatus(agentId: string, to: AgentStatus, reason: string | null = null, by: 'agent' | 'supervisor' = 'agent'): void {
    const a = this.agent(agentId);
    if (a.removed) throw new NotFoundError('agent', agentId);
    this.changeStatus(a, to, to === 'on-break' ? (reason ?? 'break') : null, by);
  }

  /** End after-call work early ("ready"). */
  endWrapUp(agentId: string): void {
    const a = this.agent(agentId);
    if (a.state !== 'wrap-up' || !a.wrap) return;
    this.finishWrap(a);
  }

  startOutbound(agentId: string): void {
    const a = this.agent(agentId);
    this.changeState(a, 'outbound', null, null);
  }

  endOutbound(agentId: string): void {
    const a = this.agent(agentId);
    if (a.state === 'outbound') this.changeState(a, 'idle', null, null);
    this.dispatch();
  }

  hold(agentId: string): void {
    const c = this.agent(agentId).call;
    if (c && c.holdSinceMono === null) c.holdSinceMono = this.mono();
  }

  resume(agentId: string): void {
    const c = this.agent(agentId).call;
    if (c && c.holdSinceMono !== null) {
      c.holdMs += this.mono() - c.holdSinceMono;
      c.holdSinceMono = null;
    }
  }

  // ---------------------------------------------------------------- callers

  /**
   * Put a caller in a queue. Resolves when the caller leaves the ACD: answered by an agent,
   * abandoned, callback requested, overflowed to voicemail/IVR/hang-up (the caller's flow goes
   * on from there), or rejected at the door. Overflow to another queue keeps the promise going.
   */
  enqueue(req: EnqueueRequest): Promise<QueueOutcome> {
    return new Promise((resolve) => {
      const callId = req.callId ?? req.channel.id;
      let q = this.queues.get(req.queueId);
      if (!q && this.opts.fallbackQueueId) q = this.queues.get(this.opts.fallbackQueueId);
      if (!q) {
        this.emit('queue.caller.rejected', { queueId: req.queueId, callId, reason: 'unknown-queue' }, { queueId: req.queueId, callId });
        resolve({ outcome: 'rejected', reason: 'unknown-queue' });
        return;
      }
      const tier = req.tier ?? 'standard';
      const entry = this.newEntry({
        id: callId,
        callId,
        queueId: q.cfg.id,
        kind: 'inbound',
        channel: req.channel,
        party: req.channel.caller,
        tier,
        priority: req.priority ?? this.tierPriority[tier],
        steps: req.requirements ?? q.cfg.skills ?? [],
        resolve,
        visited: new Set(),
        ...(req.vars && { vars: req.vars }),
      });
      this.join(q, entry);
    });
  }

  /** Supervisor: move a waiting caller to another queue, optionally to the head of it. */
  moveCaller(callId: string, toQueueId: string, opts: { toHead?: boolean; by?: string } = {}): void {
    const e = this.entryByCall(callId);
    const to = this.queue(toQueueId);
    if (e.state === 'offering') this.cancelOffer(e);
    this.moveEntry(e, to, opts.toHead ?? false, opts.by ?? 'supervisor');
    this.dispatch();
  }

  // ---------------------------------------------------------------- reading

  explain(callId: string): Explanation {
    const e = this.entryByCall(callId);
    const q = this.queue(e.queueId);
    const now = this.deps.clock.now();
    const waited = this.mono() - e.enqueuedMono;
    const stepIdx = activeStepIndex(e.steps, waited);
    const reqs = activeRequirements(e.steps, waited);
    const next = nextRelaxation(e.steps, e.enqueuedMono, this.mono());
    const eligible: Explanation['eligible'] = [];
    const ineligible: Explanation['ineligible'] = [];
    const members = [...q.order.entries()].sort((x, y) => x[1] - y[1]).map(([id]) => this.agents.get(id)!);
    const bestPenalty = Math.min(
      ...members.filter((a) => canBeOffered(a.status, a.state) && checkSkills(a.cfg.skills, reqs).ok).map((a) => a.members.get(q.cfg.id)!.penalty),
    );
    for (const a of members) {
      const reasons: string[] = [];
      const m = a.members.get(q.cfg.id)!;
      if (a.status === 'logged-out') reasons.push('logged out');
      if (a.status === 'on-break') reasons.push(`on break (${a.breakReason ?? 'break'})`);
      if (a.state === 'offered') reasons.push(a.offer?.entry === e ? 'being offered this call' : 'ringing with another call');
      if (a.state === 'in-call') reasons.push('in a call');
      if (a.state === 'wrap-up') reasons.push('in wrap-up');
      if (a.state === 'outbound') reasons.push('on an outbound call');
      if (a.notBeforeMono > this.mono()) reasons.push(`retry cooldown for ${a.notBeforeMono - this.mono()} ms`);
      const sk = checkSkills(a.cfg.skills, reqs);
      if (!sk.ok) reasons.push(...sk.reasons);
      if (reasons.length === 0 && m.penalty > bestPenalty) reasons.push(`penalty ${m.penalty} > ${bestPenalty} of other eligible members`);
      if (reasons.length > 0) ineligible.push({ agentId: a.cfg.id, name: a.cfg.name, reasons });
      else eligible.push({ agentId: a.cfg.id, name: a.cfg.name, penalty: m.penalty, skillScore: sk.ok ? sk.score : 0 });
    }
    const position = q.waiting.position(e.id);
    let callback: Explanation['callback'] = null;
    if (e.callback) {
      const cfg = q.cfg.callback ?? DEFAULT_CALLBACK;
      const readyAt = Math.max(e.callback.nextAttemptAt, nextCallingTime(Math.max(now, e.callback.nextAttemptAt), cfg.callingHours));
      const reasons: string[] = [];
      if (e.callback.nextAttemptAt > now) reasons.push(`retry delay until ${new Date(e.callback.nextAttemptAt).toISOString()}`);
      if (!withinCallingHours(now, cfg.callingHours)) reasons.push('outside calling hours');
      callback = { readyAt, attempts: e.callback.attempts, expiresAt: e.callback.expiresAt, reasons };
    }
    return {
      callId: e.callId,
      queueId: q.cfg.id,
      kind: e.kind,
      state: e.state === 'offering' ? 'offering' : 'waiting',
      strategy: q.cfg.strategy,
      tier: e.tier,
      priority: e.priority,
      position,
      ahead: Math.max(0, position - 1),
      waitedMs: waited,
      activeStep: stepIdx < 0 ? null : { index: stepIdx, requirements: reqs },
      nextRelaxation: next ? { at: now + (next.at - this.mono()), inMs: next.at - this.mono(), stepIndex: next.stepIndex, requirements: next.requirements } : null,
      eligible,
      ineligible,
      offeredTo: e.offer ? [...e.offer.pending] : [],
      callback,
    };
  }

  queueSnapshot(queueId: string): QueueSnapshot {
    const q = this.queue(queueId);
    const agents: QueueSnapshot['agents'] = { idle: 0, offered: 0, 'in-call': 0, 'wrap-up': 0, outbound: 0, 'on-break': 0, 'logged-out': 0 };
    for (const id of q.order.keys()) {
      const a = this.agents.get(id)!;
      if (a.status === 'logged-out') agents['logged-out']++;
      else if (a.status === 'on-break' && a.state === 'idle') agents['on-break']++;
      else agents[a.state]++;
    }
    let longest = 0;
    let callbacks = 0;
    for (const e of q.waiting) {
      if (e.kind === 'callback') callbacks++;
      else longest = Math.max(longest, this.mono() - e.enqueuedMono);
    }
    const staffed = this.staffed(q);
    return {
      queueId,
      waiting: q.waiting.size - callbacks,
      callbacksWaiting: callbacks,
      longestWaitMs: longest,
      staffed,
      agents,
      estimatedWaitMs: estimatedWaitMs(q.waiting.size + 1, staffed, q.aht.mean(q.cfg.defaultAhtMs)),
      counts: { ...(this.realtime.get(queueId) ?? emptyCounts()) },
    };
  }

  agentSnapshot(agentId: string): { agentId: string; status: AgentStatus; breakReason: string | null; state: AgentState; callId: string | null; queues: string[] } {
    const a = this.agent(agentId);
    return {
      agentId,
      status: a.status,
      breakReason: a.breakReason,
      state: a.state,
      callId: a.call?.callId ?? a.offer?.entry.callId ?? a.wrap?.callId ?? null,
      queues: [...a.members.keys()],
    };
  }

  /**
   * Recompute the 15/30-min aggregates for [from, to) from the stored raw event log and store
   * them (idempotent: a re-run replaces the rows).
   */
  closeIntervals(from: number, to: number, intervalMs: number): IntervalStatsRecord[] {
    this.flush();
    const rows = intervalStats(this.deps.store.events(from, to), intervalMs, (id) => this.thresholds(id));
    this.deps.store.saveIntervalStats(rows);
    return rows;
  }

  /** Stored interval aggregates of a queue with from ≤ start < to (every interval length). */
  intervalStats(queueId: string, from: number, to: number): IntervalStatsRecord[] {
    return this.deps.store.intervalStats(queueId, from, to);
  }

  /** Reset the real-time counters (e.g. at local midnight). */
  resetRealtime(): void {
    for (const k of this.realtime.keys()) this.realtime.set(k, emptyCounts());
  }

  // ---------------------------------------------------------------- reconciliation

  /**
   * Compare each agent's state with the call layer: an agent "in call" whose legs are gone, one
   * "offered" with no offer running, one in wrap-up with no timer, and callers whose leg ended
   * unseen are all put right, each with an `acd.agent.reconciled` event.
   */
  reconcile(): void {
    const live = (ch: Channel | null): boolean =>
      ch === null || (ch.level !== 'terminated' && !ch.ended.aborted && this.deps.liveness?.isLive(ch.id) !== false);
    for (const a of [...this.agents.values()]) {
      if (a.state === 'in-call') {
        if (!a.call) {
          this.reconciled(a, null, 'in-call with no call');
          this.changeState(a, 'idle', null, null);
        } else if (!a.call.dialing && (!live(a.call.caller) || !live(a.call.agentCh))) {
          this.reconciled(a, a.call.callId, 'call legs gone');
          this.endCall(a.call);
        }
      } else if (a.state === 'offered' && (!a.offer || a.offer.settled)) {
        this.reconciled(a, a.offer?.entry.callId ?? null, 'offered with no offer running');
        a.offer = null;
        this.changeState(a, 'idle', null, null);
      } else if (a.state === 'wrap-up' && (!a.wrap || a.wrap.timer === null)) {
        this.reconciled(a, a.wrap?.callId ?? null, 'wrap-up with no timer');
        if (a.wrap) this.finishWrap(a);
        else this.changeState(a, 'idle', null, null);
      }
    }
    for (const e of [...this.entries.values()]) if (e.kind === 'inbound' && e.channel && !live(e.channel)) this.abandon(e);
    this.dispatch();
  }

  // ================================================================ internals: queue entry

  private newEntry(p: Pick<Entry, 'id' | 'callId' | 'queueId' | 'kind' | 'channel' | 'party' | 'tier' | 'priority' | 'steps' | 'resolve' | 'visited' | 'vars'>): Entry {
    const mono = this.mono();
    return { ...p, placeAt: mono, seq: this.seq++, enqueuedMono: mono, state: 'waiting', offer: null, timers: [], leave: null, detach: () => {}, callback: null, wake: null };
  }

  private join(q: QueueRt, e: Entry): void {
    e.queueId = q.cfg.id;
    e.visited.add(q.cfg.id);
    const refuse: 'full' | 'empty' | null =
      q.cfg.maxLength > 0 && this.inboundWaiting(q) >= q.cfg.maxLength ? 'full' : this.isEmpty(q, q.cfg.joinWhenEmpty) ? 'empty' : null;
    if (refuse) {
      this.emit('queue.caller.rejected', { queueId: q.cfg.id, callId: e.callId, reason: refuse }, { queueId: q.cfg.id, callId: e.callId });
      if (q.cfg.overflow) this.applyTarget(e, q.cfg.overflow, refuse, 0);
      else e.resolve({ outcome: 'rejected', reason: refuse });
      return;
    }
    this.entries.set(e.id, e);
    q.waiting.insert(e);
    this.count(q.cfg.id, (c) => addEntry(c));
    this.emit(
      'queue.caller.joined',
      { queueId: q.cfg.id, callId: e.callId, tier: e.tier, priority: e.priority, position: q.waiting.position(e.id), number: e.party.number, ...(e.vars && { vars: { ...e.vars } }) },
      { queueId: q.cfg.id, callId: e.callId },
    );
    this.armEntry(q, e);
    if (e.channel && e.channel.level !== 'connected' && e.channel.level !== 'terminated') void e.channel.answer().catch(() => {});
    if (e.channel) void this.announceLoop(q, e);
    this.dispatch();
  }

  /** Timers and channel listeners of a waiting entry. */
  private armEntry(q: QueueRt, e: Entry): void {
    const clock = this.deps.clock;
    const waited = this.mono() - e.enqueuedMono;
    for (const s of e.steps) if (s.afterMs > waited) e.timers.push(clock.setTimeout(() => this.dispatch(), s.afterMs - waited));
    if (e.kind === 'inbound' && q.cfg.maxWaitMs > 0)
      e.timers.push(clock.setTimeout(() => this.overflow(e, 'timeout'), Math.max(0, q.cfg.maxWaitMs - waited)));
    if (e.kind === 'callback' && e.callback)
      e.timers.push(clock.setTimeout(() => this.endCallback(e, 'expired'), Math.max(0, e.callback.expiresAt - clock.now())));
    const ch = e.channel;
    if (ch && e.kind === 'inbound') {
      const onHangup = (): void => this.abandon(e);
      const onDtmf = (d: string): void => {
        const cb = this.queues.get(e.queueId)?.cfg.callback;
        if (cb && d === cb.key && e.state !== 'gone') this.requestCallback(e, cb);
      };
      ch.on('hangup', onHangup);
      ch.on('dtmf', onDtmf);
      e.detach = () => {
        ch.off('hangup', onHangup);
        ch.off('dtmf', onDtmf);
      };
    }
  }

  /** Take an entry out of its queue's line: timers, listeners, announcements. */
  private leaveLine(e: Entry): void {
    this.queues.get(e.queueId)?.waiting.remove(e.id);
    this.entries.delete(e.id);
    for (const t of e.timers) t.cancel();
    e.timers = [];
    e.wake?.cancel();
    e.wake = null;
    e.detach();
    e.detach = () => {};
    e.leave?.abort(LEFT);
    e.leave = null;
  }

  private waitOf(e: Entry): number {
    return Math.max(0, this.mono() - e.enqueuedMono);
  }

  private abandon(e: Entry): void {
    if (e.state === 'gone') return;
    if (e.state === 'offering') this.cancelOffer(e);
    const position = this.queues.get(e.queueId)?.waiting.position(e.id) ?? 0;
    const waitMs = this.waitOf(e);
    e.state = 'gone';
    this.leaveLine(e);
    this.count(e.queueId, (c) => addExit(c, { outcome: 'abandoned', waitMs }, this.thresholds(e.queueId)));
    this.emit('queue.caller.abandoned', { queueId: e.queueId, callId: e.callId, waitMs, position }, { queueId: e.queueId, callId: e.callId });
    e.resolve({ outcome: 'abandoned', waitMs });
    this.dispatch();
  }

  private overflow(e: Entry, reason: OverflowReason, forced?: OverflowTarget): void {
    if (e.state === 'gone') return;
    const q = this.queues.get(e.queueId);
    const target: OverflowTarget = forced ?? q?.cfg.overflow ?? { kind: 'hangup' };
    if (target.kind === 'callback') {
      this.requestCallback(e, q?.cfg.callback ?? DEFAULT_CALLBACK);
      return;
    }
    if (e.state === 'offering') this.cancelOffer(e);
    const waitMs = this.waitOf(e);
    e.state = 'gone';
    this.leaveLine(e);
    this.count(e.queueId, (c) => addExit(c, { outcome: 'overflowed', waitMs }, this.thresholds(e.queueId)));
    this.emit('queue.caller.overflowed', { queueId: e.queueId, callId: e.callId, waitMs, reason, target }, { queueId: e.queueId, callId: e.callId });
    this.applyTarget(e, target, reason, waitMs);
    this.dispatch();
  }

  /** Send a caller who left (or never entered) a queue to the overflow destination. */
  private applyTarget(e: Entry, target: OverflowTarget, reason: OverflowReason, waitMs: number): void {
    if (target.kind === 'queue') {
      const next = this.queues.get(target.queueId);
      if (next && !e.visited.has(next.cfg.id)) {
        const moved = this.newEntry({ ...e, queueId: next.cfg.id, steps: next.cfg.skills ?? [] });
        this.join(next, moved);
        return;
      }
      target = { kind: 'hangup' };
    }
    if (target.kind === 'callback') {
      const q = this.queues.get(e.queueId);
      const fresh = this.newEntry({ ...e });
      fresh.state = 'waiting';
      this.requestCallback(fresh, q?.cfg.callback ?? DEFAULT_CALLBACK, false);
      return;
    }
    if (target.kind === 'hangup' && e.channel && e.channel.level !== 'terminated') {
      const ch = e.channel;
      void ch.media
        .play([{ kind: 'prompt', name: 'queue/closed' }])
        .catch(() => undefined)
        .then(() => (ch.level === 'terminated' ? undefined : ch.hangup(HangupCauses.NORMAL_CLEARING)))
        .catch(() => undefined);
    }
    e.resolve({ outcome: 'overflowed', target, reason, waitMs });
  }

  private moveEntry(e: Entry, to: QueueRt, toHead: boolean, by: string): void {
    const from = e.queueId;
    this.queues.get(from)?.waiting.remove(e.id);
    for (const t of e.timers) t.cancel();
    e.timers = [];
    e.detach();
    e.queueId = to.cfg.id;
    if (toHead) {
      const head = to.waiting.head();
      if (head) {
        e.priority = Math.max(e.priority, head.priority);
        e.placeAt = Math.min(e.placeAt, head.placeAt - 1);
      }
    }
    to.waiting.insert(e);
    this.armEntry(to, e);
    this.emit('queue.caller.moved', { queueId: from, callId: e.callId, toQueueId: to.cfg.id, toHead, by }, { queueId: from, callId: e.callId });
  }

  private inboundWaiting(q: QueueRt): number {
    let n = 0;
    for (const x of q.waiting) if (x.kind === 'inbound') n++;
    return n;
  }

  private isEmpty(q: QueueRt, rule: EmptyRule): boolean {
    if (rule === 'never') return false;
    for (const id of q.order.keys()) {
      const a = this.agents.get(id)!;
      if (rule === 'no-logged-in' && a.status !== 'logged-out') return false;
      if (rule === 'no-available' && a.status === 'available') return false;
    }
    return true;
  }

  private checkLeaveWhenEmpty(queueIds: Iterable<string>): void {
    for (const id of queueIds) {
      const q = this.queues.get(id);
      if (!q || !this.isEmpty(q, q.cfg.leaveWhenEmpty)) continue;
      for (const e of q.waiting.list()) if (e.kind === 'inbound') this.overflow(e, 'empty');
    }
  }

  // ================================================================ internals: callbacks

  /** The caller keeps their place, hears a confirmation and hangs up; an agent is rung first later. */
  private requestCallback(e: Entry, cfg: CallbackConfig, inLine = true): void {
    if (e.state === 'offering') this.cancelOffer(e);
    const q = this.queues.get(e.queueId)!;
    const now = this.deps.clock.now();
    const waitMs = this.waitOf(e);
    const cb: CallbackRecord = {
      id: newId('cb', this.deps.clock),
      queueId: q.cfg.id,
      callId: e.callId,
      number: e.party.number,
      tier: e.tier,
      priority: e.priority,
      requestedAt: now,
      expiresAt: now + cfg.expiryMs,
      attempts: 0,
      nextAttemptAt: now,
      status: 'pending',
      agentId: null,
      updatedAt: now,
    };
    const ch = e.channel;
    if (inLine) {
      e.state = 'gone';
      this.leaveLine(e);
    }
    this.count(q.cfg.id, (c) => addExit(c, { outcome: 'callback', waitMs }, this.thresholds(q.cfg.id)));
    this.emit('queue.callback.requested', { queueId: q.cfg.id, callId: e.callId, callbackId: cb.id, number: cb.number, waitMs }, { queueId: q.cfg.id, callId: e.callId });
    this.deps.store.saveCallback(cb);
    const virtual: Entry = {
      ...e,
      id: cb.id,
      kind: 'callback',
      channel: null,
      state: 'waiting',
      offer: null,
      timers: [],
      leave: null,
      detach: () => {},
      callback: cb,
      wake: null,
      resolve: () => {},
    };
    this.entries.set(virtual.id, virtual);
    q.waiting.insert(virtual);
    this.armEntry(q, virtual);
    if (ch && ch.level !== 'terminated') {
      void ch.media
        .play([{ kind: 'prompt', name: 'queue/callback-confirmed' }])
        .catch(() => undefined)
        .then(() => (ch.level === 'terminated' ? undefined : ch.hangup(HangupCauses.NORMAL_CLEARING)))
        .catch(() => undefined);
    }
    e.resolve({ outcome: 'callback-requested', callbackId: cb.id, waitMs });
    this.dispatch();
  }

  private callbackReady(e: Entry): boolean {
    const cb = e.callback;
    if (!cb) return true;
    const now = this.deps.clock.now();
    const hours = this.queues.get(e.queueId)?.cfg.callback?.callingHours;
    if (cb.nextAttemptAt <= now && withinCallingHours(now, hours)) return true;
    if (!e.wake) {
      const at = Math.max(cb.nextAttemptAt, nextCallingTime(Math.max(now, cb.nextAttemptAt), hours));
      e.wake = this.deps.clock.setTimeout(() => {
        e.wake = null;
        this.dispatch();
      }, Math.max(1, at - now));
    }
    return false;
  }

  private endCallback(e: Entry, why: 'expired' | 'attempts-exhausted' | 'queue-deleted'): void {
    const cb = e.callback;
    if (!cb || e.state === 'gone') return;
    if (e.state === 'offering') this.cancelOffer(e);
    e.state = 'gone';
    this.leaveLine(e);
    cb.status = why === 'attempts-exhausted' ? 'failed' : 'expired';
    cb.updatedAt = this.deps.clock.now();
    this.deps.store.saveCallback(cb);
    this.emit('queue.callback.expired', { queueId: e.queueId, callbackId: cb.id, attempts: cb.attempts, why }, { queueId: e.queueId, callId: e.callId });
  }

  private async runCallback(e: Entry, a: AgentRt, agentCh: Channel): Promise<void> {
    const cb = e.callback!;
    const q = this.queues.get(e.queueId);
    const cfg = q?.cfg.callback ?? DEFAULT_CALLBACK;
    e.state = 'gone';
    this.leaveLine(e);
    cb.attempts++;
    cb.status = 'in-progress';
    cb.agentId = a.cfg.id;
    cb.updatedAt = this.deps.clock.now();
    this.deps.store.saveCallback(cb);
    const call = this.beginCall(a, e.callId, e.queueId, null, agentCh, true);
    const ctrl = new AbortController();
    const onAgentGone = (): void => ctrl.abort(LEFT);
    agentCh.on('hangup', onAgentGone);
    void agentCh.media.play([{ kind: 'prompt', name: 'queue/callback-dialing' }]).catch(() => undefined);
    let res: DialOutcome = { outcome: 'failed' };
    if (this.deps.customerDialer) {
      res = await this.deps.customerDialer
        .dial(cb.number, { callbackId: cb.id, callId: e.callId, timeoutMs: cfg.customerRingMs, signal: ctrl.signal })
        .catch((): DialOutcome => ({ outcome: 'failed' }));
    }
    agentCh.off('hangup', onAgentGone);
    const agentGone = agentCh.level === 'terminated';
    const outcome = agentGone && res.outcome === 'answered' ? 'failed' : res.outcome;
    this.emit('queue.callback.attempted', { queueId: e.queueId, callbackId: cb.id, attempt: cb.attempts, agentId: a.cfg.id, outcome }, { queueId: e.queueId, agentId: a.cfg.id, callId: e.callId });
    if (res.outcome === 'answered' && !agentGone) {
      call.caller = res.channel;
      call.dialing = false;
      this.watchCall(call);
      cb.status = 'completed';
      cb.updatedAt = this.deps.clock.now();
      this.deps.store.saveCallback(cb);
      this.emit('queue.callback.completed', { queueId: e.queueId, callbackId: cb.id, agentId: a.cfg.id, attempts: cb.attempts }, { queueId: e.queueId, agentId: a.cfg.id, callId: e.callId });
      try {
        await this.deps.bridger.bridge(res.channel, agentCh);
      } catch {
        this.endCall(call);
      }
      return;
    }
    if (res.outcome === 'answered') void res.channel.hangup(HangupCauses.NORMAL_CLEARING).catch(() => undefined);
    // The customer was not reached: release the agent without wrap-up, keep the caller's place.
    call.ended = true;
    call.detach();
    a.call = null;
    if (agentCh.level !== 'terminated') void agentCh.hangup(HangupCauses.NORMAL_CLEARING).catch(() => undefined);
    this.changeState(a, 'idle', e.callId, e.queueId);
    this.dropIfRemoved(a);
    const now = this.deps.clock.now();
    if (cb.attempts >= cfg.maxAttempts) {
      this.finishCallbackRecord(e, cb, 'attempts-exhausted');
    } else if (now + cfg.retryDelayMs >= cb.expiresAt || !q) {
      this.finishCallbackRecord(e, cb, 'expired');
    } else {
      cb.status = 'pending';
      cb.nextAttemptAt = now + cfg.retryDelayMs;
      cb.updatedAt = now;
      this.deps.store.saveCallback(cb);
      const again: Entry = { ...e, state: 'waiting', offer: null, timers: [], leave: null, detach: () => {}, wake: null };
      this.entries.set(again.id, again);
      q.waiting.insert(again);
      this.armEntry(q, again);
    }
    this.dispatch();
  }

  /** Put a stored callback back in line (true), or close it when it can no longer run (false). */
  private restoreCallback(cb: CallbackRecord): boolean {
    const now = this.deps.clock.now();
    const q = this.queues.get(cb.queueId) ?? (this.opts.fallbackQueueId ? this.queues.get(this.opts.fallbackQueueId) : undefined);
    const cfg = q?.cfg.callback ?? DEFAULT_CALLBACK;
    const close = (why: 'expired' | 'attempts-exhausted' | 'queue-deleted'): false => {
      cb.status = why === 'attempts-exhausted' ? 'failed' : 'expired';
      cb.updatedAt = now;
      this.deps.store.saveCallback(cb);
      this.emit('queue.callback.expired', { queueId: cb.queueId, callbackId: cb.id, attempts: cb.attempts, why }, { queueId: cb.queueId, callId: cb.callId });
      return false;
    };
    if (!q) return close('queue-deleted');
    if (cb.expiresAt <= now) return close('expired');
    if (cb.status === 'in-progress') {
      // The attempt was cut off by the restart: it counts, and the next one may start at once.
      if (cb.attempts >= cfg.maxAttempts) return close('attempts-exhausted');
      cb.status = 'pending';
      cb.agentId = null;
      cb.nextAttemptAt = now;
      cb.updatedAt = now;
      this.deps.store.saveCallback(cb);
    }
    cb.queueId = q.cfg.id;
    const mono = this.mono();
    const waited = Math.max(0, now - cb.requestedAt);
    const e: Entry = {
      id: cb.id,
      callId: cb.callId,
      queueId: q.cfg.id,
      kind: 'callback',
      channel: null,
      party: { number: cb.number, presentation: 'allowed' },
      tier: cb.tier,
      priority: cb.priority,
      placeAt: mono - waited,
      seq: this.seq++,
      enqueuedMono: mono - waited,
      steps: q.cfg.skills ?? [],
      state: 'waiting',
      offer: null,
      timers: [],
      leave: null,
      detach: () => {},
      resolve: () => {},
      visited: new Set([q.cfg.id]),
      callback: cb,
      wake: null,
    };
    this.entries.set(e.id, e);
    q.waiting.insert(e);
    this.armEntry(q, e);
    return true;
  }

  private finishCallbackRecord(e: Entry, cb: CallbackRecord, why: 'expired' | 'attempts-exhausted'): void {
    cb.status = why === 'attempts-exhausted' ? 'failed' : 'expired';
    cb.updatedAt = this.deps.clock.now();
    this.deps.store.saveCallback(cb);
    this.emit('queue.callback.expired', { queueId: e.queueId, callbackId: cb.id, attempts: cb.attempts, why }, { queueId: e.queueId, callId: e.callId });
  }

  // ================================================================ internals: routing

  /** One routing pass (re-run until stable if something asked for a pass while one ran). */
  private dispatch(): void {
    if (this.dispatching) {
      this.again = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.again = false;
        this.dispatchOnce();
      } while (this.again);
    } finally {
      this.dispatching = false;
    }
  }

  private dispatchOnce(): void {
    if (this.idle.size === 0) return;
    this.passes++;
    // Queues with at least one idle member and someone waiting.
    const active = new Set<QueueRt>();
    for (const a of this.idle)
      for (const qid of a.members.keys()) {
        const q = this.queues.get(qid);
        if (q && q.waiting.size > 0) active.add(q);
      }
    if (active.size === 0) return;
    const cursors = [...active].map((q) => ({ list: q.waiting.view(), i: 0 }));
    // Requirement sets (per queue) no idle agent met earlier in this pass. The idle set only
    // shrinks during a pass, so such a set stays unmet: callers sharing it are skipped cheaply.
    const unmet = new Map<QueueRt, Set<readonly SkillRequirement[]>>();
    const mono = this.mono();
    // k-way merge of the queues' lines in service order.
    while (this.idle.size > 0) {
      let best: { list: readonly Entry[]; i: number } | null = null;
      let b: Entry | undefined;
      for (const c of cursors) {
        const cur = c.list[c.i];
        if (!cur) continue;
        if (!b || cur.priority > b.priority || (cur.priority === b.priority && (cur.placeAt < b.placeAt || (cur.placeAt === b.placeAt && cur.seq < b.seq)))) {
          best = c;
          b = cur;
        }
      }
      if (!best || !b) break;
      best.i++;
      if (b.state !== 'waiting') continue;
      const q = this.queues.get(b.queueId);
      if (!q) continue;
      const reqs = activeRequirements(b.steps, mono - b.enqueuedMono);
      if (unmet.get(q)?.has(reqs)) continue;
      if (!this.callbackReady(b)) continue;
      if (!this.match(q, b, reqs, mono)) {
        let set = unmet.get(q);
        if (!set) unmet.set(q, (set = new Set()));
        set.add(reqs);
      }
    }
  }

  /** Offer `e` the best idle agent for it; false when no idle agent is eligible. */
  private match(q: QueueRt, e: Entry, reqs: readonly SkillRequirement[], mono: number): boolean {
    const candidates: Candidate[] = [];
    const qid = q.cfg.id;
    const fromIdle = this.idle.size <= q.order.size;
    const pool: Iterable<AgentRt | string> = fromIdle ? this.idle : q.order.keys();
    for (const x of pool) {
      const a = typeof x === 'string' ? this.agents.get(x)! : x;
      const m = a.members.get(qid);
      if (!m || (!fromIdle && !this.idle.has(a)) || a.notBeforeMono > mono) continue;
      const sk = checkSkills(a.cfg.skills, reqs);
      if (!sk.ok) continue;
      candidates.push({
        agentId: a.cfg.id,
        penalty: m.penalty,
        calls: a.calls.get(qid) ?? 0,
        lastCallEndedAt: a.lastEnded.get(qid) ?? null,
        order: q.order.get(a.cfg.id) ?? 0,
        skillScore: sk.score,
      });
    }
    if (candidates.length === 0) return false;
    const p = pick(candidates, { strategy: q.cfg.strategy, rrLastOrder: q.rrLastOrder, random: this.random }, this.deps.clock.now());
    const chosen = p.mode === 'parallel' ? p.agents : p.agents.slice(0, 1);
    if (chosen.length === 0) return false;
    q.rrLastOrder = q.order.get(chosen[0]!) ?? null;
    this.startOffer(q, e, chosen.map((id) => this.agents.get(id)!));
    return true;
  }

  private startOffer(q: QueueRt, e: Entry, agents: AgentRt[]): void {
    const offer: OfferRt = { id: newMonotonicId('offer', this.deps.clock), entry: e, pending: new Set(agents.map((a) => a.cfg.id)), ctrl: new AbortController(), timer: null, settled: false };
    e.state = 'offering';
    e.offer = offer;
    for (const a of agents) {
      a.offer = offer;
      this.changeState(a, 'offered', e.callId, q.cfg.id);
    }
    this.emit('acd.offer.created', { offerId: offer.id, callId: e.callId, queueId: q.cfg.id, agentIds: [...offer.pending], kind: e.kind }, { queueId: q.cfg.id, callId: e.callId });
    offer.timer = this.deps.clock.setTimeout(() => this.offerTimeout(offer), q.cfg.ringTimeoutMs);
    const call: OfferedCall = { callId: e.callId, queueId: q.cfg.id, kind: e.kind, caller: e.party, tier: e.tier, waitMs: this.waitOf(e) };
    for (const a of agents) {
      let p: Promise<DialOutcome>;
      try {
        p = this.deps.dialer.offer({ id: a.cfg.id, name: a.cfg.name }, call, { timeoutMs: q.cfg.ringTimeoutMs, signal: offer.ctrl.signal });
      } catch {
        p = Promise.resolve({ outcome: 'failed' });
      }
      p.then(
        (r) => this.onOfferResult(offer, a, r),
        () => this.onOfferResult(offer, a, { outcome: 'failed' }),
      );
    }
  }

  private onOfferResult(offer: OfferRt, a: AgentRt, r: DialOutcome): void {
    if (!offer.pending.has(a.cfg.id) || offer.settled) {
      if (r.outcome === 'answered' && r.channel.level !== 'terminated') void r.channel.hangup(HangupCauses.NORMAL_CLEARING).catch(() => undefined);
      if (offer.pending.delete(a.cfg.id)) this.releaseOffered(offer, a, 'cancelled');
      return;
    }
    offer.pending.delete(a.cfg.id);
    const e = offer.entry;
    if (r.outcome === 'answered') {
      offer.settled = true;
      offer.timer?.cancel();
      // Stop the other phones still ringing (ring-all); with none left there is nothing to abort.
      const others = offer.pending.size > 0;
      for (const id of offer.pending) this.releaseOffered(offer, this.agents.get(id)!, 'cancelled');
      offer.pending.clear();
      if (others) offer.ctrl.abort(LEFT);
      this.emit('acd.offer.ended', { offerId: offer.id, callId: e.callId, queueId: e.queueId, agentId: a.cfg.id, outcome: 'answered' }, { queueId: e.queueId, agentId: a.cfg.id, callId: e.callId });
      a.offer = null;
      e.offer = null;
      if (e.kind === 'callback') void this.runCallback(e, a, r.channel);
      else this.connect(e, a, r.channel);
      this.dispatch();
      return;
    }
    this.releaseOffered(offer, a, r.outcome);
    if (offer.pending.size === 0) {
      offer.settled = true;
      offer.timer?.cancel();
      if (e.state === 'offering') {
        e.state = 'waiting';
        e.offer = null;
      }
    }
    this.dispatch();
  }

  private offerTimeout(offer: OfferRt): void {
    if (offer.settled) return;
    offer.settled = true;
    offer.timer = null;
    for (const id of offer.pending) this.releaseOffered(offer, this.agents.get(id)!, 'no-answer');
    offer.pending.clear();
    offer.ctrl.abort(LEFT);
    if (offer.entry.state === 'offering') {
      offer.entry.state = 'waiting';
      offer.entry.offer = null;
    }
    this.dispatch();
  }

  /** The caller left (hung up, callback, overflow) while agents were ringing. */
  private cancelOffer(e: Entry): void {
    const offer = e.offer;
    if (!offer) return;
    offer.settled = true;
    offer.timer?.cancel();
    for (const id of offer.pending) this.releaseOffered(offer, this.agents.get(id)!, 'cancelled');
    offer.pending.clear();
    offer.ctrl.abort(LEFT);
    e.offer = null;
    e.state = 'waiting';
  }

  private releaseOffered(offer: OfferRt, a: AgentRt, outcome: 'no-answer' | 'busy' | 'failed' | 'cancelled'): void {
    const e = offer.entry;
    this.emit('acd.offer.ended', { offerId: offer.id, callId: e.callId, queueId: e.queueId, agentId: a.cfg.id, outcome }, { queueId: e.queueId, agentId: a.cfg.id, callId: e.callId });
    if (a.offer === offer) a.offer = null;
    if (a.state !== 'offered') return;
    if (outcome === 'no-answer' && this.rna.action === 'break' && a.status !== 'logged-out')
      this.changeStatus(a, 'on-break', this.rna.reason, 'acd', e.callId, e.queueId);
    if (outcome === 'busy' || outcome === 'failed') {
      a.notBeforeMono = this.mono() + this.busyRetryMs;
      this.deps.clock.setTimeout(() => this.dispatch(), this.busyRetryMs);
    }
    this.changeState(a, 'idle', e.callId, e.queueId);
    this.dropIfRemoved(a);
  }

  // ================================================================ internals: calls

  private connect(e: Entry, a: AgentRt, agentCh: Channel): void {
    const caller = e.channel!;
    const waitMs = this.waitOf(e);
    e.state = 'gone';
    this.leaveLine(e);
    this.count(e.queueId, (c) => addExit(c, { outcome: 'answered', waitMs }, this.thresholds(e.queueId)));
    this.emit('queue.caller.answered', { queueId: e.queueId, callId: e.callId, agentId: a.cfg.id, waitMs }, { queueId: e.queueId, agentId: a.cfg.id, callId: e.callId });
    const call = this.beginCall(a, e.callId, e.queueId, caller, agentCh, false);
    e.resolve({ outcome: 'answered', agentId: a.cfg.id, waitMs });
    this.watchCall(call);
    if (call.ended) return;
    this.deps.bridger.bridge(caller, agentCh).catch((err: unknown) => {
      this.deps.log.warn({ err, callId: e.callId }, 'bridge failed');
      this.endCall(call);
    });
  }

  private beginCall(a: AgentRt, callId: string, queueId: string, caller: Channel | null, agentCh: Channel, dialing: boolean): CallRt {
    const call: CallRt = { callId, queueId, agentId: a.cfg.id, caller, agentCh, answeredMono: this.mono(), holdMs: 0, holdSinceMono: null, dialing, ended: false, detach: () => {} };
    a.call = call;
    a.calls.set(queueId, (a.calls.get(queueId) ?? 0) + 1);
    this.changeState(a, 'in-call', callId, queueId);
    return call;
  }

  /** End the call when either leg hangs up (or already has). */
  private watchCall(call: CallRt): void {
    const legs = [call.caller, call.agentCh].filter((c): c is Channel => c !== null);
    const onHangup = (): void => this.endCall(call);
    for (const ch of legs) ch.on('hangup', onHangup);
    call.detach = () => {
      for (const ch of legs) ch.off('hangup', onHangup);
    };
    if (legs.some((ch) => ch.level === 'terminated')) this.endCall(call);
  }

  private endCall(call: CallRt): void {
    if (call.ended) return;
    call.ended = true;
    call.detach();
    const keep =
      call.caller !== null && call.caller.level !== 'terminated' && call.agentCh.level === 'terminated' &&
      (this.deps.keepCaller?.({ callId: call.callId, queueId: call.queueId, agentId: call.agentId, ended: call.agentCh, caller: call.caller }) ?? false);
    for (const ch of [call.caller, call.agentCh]) if (ch && ch.level !== 'terminated' && !(keep && ch === call.caller)) void ch.hangup(HangupCauses.NORMAL_CLEARING).catch(() => undefined);
    const a = this.agents.get(call.agentId);
    if (!a || a.call !== call) return;
    const mono = this.mono();
    const holdMs = call.holdMs + (call.holdSinceMono !== null ? mono - call.holdSinceMono : 0);
    const talkMs = Math.max(0, mono - call.answeredMono - holdMs);
    a.call = null;
    a.lastEnded.set(call.queueId, this.deps.clock.now());
    const q = this.queues.get(call.queueId);
    const wrapMs = a.members.get(call.queueId)?.wrapUpMs ?? q?.cfg.wrapUpMs ?? 0;
    a.wrap = { callId: call.callId, queueId: call.queueId, startedMono: mono, talkMs, holdMs, timer: null };
    if (wrapMs > 0) {
      this.changeState(a, 'wrap-up', call.callId, call.queueId);
      a.wrap.timer = this.deps.clock.setTimeout(() => this.finishWrap(a), wrapMs);
    } else {
      this.finishWrap(a, true);
    }
  }

  private finishWrap(a: AgentRt, direct = false): void {
    const w = a.wrap;
    if (!w) return;
    w.timer?.cancel();
    a.wrap = null;
    const acwMs = direct ? 0 : this.mono() - w.startedMono;
    this.changeState(a, 'idle', w.callId, w.queueId);
    this.queues.get(w.queueId)?.aht.add(w.talkMs + w.holdMs + acwMs);
    this.count(w.queueId, (c) => addHandled(c, { talkMs: w.talkMs, holdMs: w.holdMs, acwMs }));
    this.emit('acd.call.completed', { callId: w.callId, queueId: w.queueId, agentId: a.cfg.id, talkMs: w.talkMs, holdMs: w.holdMs, acwMs }, { queueId: w.queueId, agentId: a.cfg.id, callId: w.callId });
    this.dropIfRemoved(a);
    this.dispatch();
  }

  // ================================================================ internals: agents

  private changeStatus(a: AgentRt, to: AgentStatus, reason: string | null, by: AgentChangePayload['by'], callId: string | null = null, queueId: string | null = null): void {
    assertStatusTransition(a.cfg.id, a.status, to);
    const from = a.status;
    a.status = to;
    a.breakReason = to === 'on-break' ? reason : null;
    this.updateIdle(a);
    this.emit(
      'acd.agent.status-changed',
      { agentId: a.cfg.id, status: a.status, state: a.state, from, to, breakReason: a.breakReason, by, callId, queueId },
      { agentId: a.cfg.id, queueId, callId },
    );
    this.saveAgent(a);
    if (to === 'available') this.dispatch();
    else this.checkLeaveWhenEmpty(a.members.keys());
  }

  private changeState(a: AgentRt, to: AgentState, callId: string | null, queueId: string | null): void {
    assertStateTransition(a.cfg.id, a.state, to);
    const from = a.state;
    a.state = to;
    this.updateIdle(a);
    this.emit(
      'acd.agent.state-changed',
      { agentId: a.cfg.id, status: a.status, state: a.state, from, to, breakReason: a.breakReason, by: 'acd', callId, queueId },
      { agentId: a.cfg.id, queueId, callId },
    );
    this.saveAgent(a);
  }

  private updateIdle(a: AgentRt): void {
    if (!a.removed && canBeOffered(a.status, a.state)) this.idle.add(a);
    else this.idle.delete(a);
  }

  private reconciled(a: AgentRt, callId: string | null, why: string): void {
    this.deps.log.warn({ agentId: a.cfg.id, callId, state: a.state, why }, 'agent state reconciled');
    this.emit('acd.agent.reconciled', { agentId: a.cfg.id, callId, was: a.state, why }, { agentId: a.cfg.id, callId });
  }

  private dropIfRemoved(a: AgentRt): void {
    if (a.removed && a.state === 'idle' && !a.call && !a.wrap) {
      this.agents.delete(a.cfg.id);
      this.idle.delete(a);
    }
  }

  /** Mark the agent's row for the end-of-tick write (flush), like the tick's events. */
  private saveAgent(a: AgentRt): void {
    this.dirtyAgents.add(a);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const window = this.opts.persistWindowMs ?? 0;
    if (window > 0) this.flushTimer = this.deps.clock.setTimeout(() => this.flush(), window);
    else queueMicrotask(() => this.flush());
  }

  private staffed(q: QueueRt): number {
    let n = 0;
    for (const id of q.order.keys()) if (this.agents.get(id)?.status === 'available') n++;
    return n;
  }

  // ================================================================ internals: announcements

  /** Hold music, and every period the caller's position and estimated wait (and the callback offer). */
  private async announceLoop(q: QueueRt, e: Entry): Promise<void> {
    const cfg = q.cfg.announce;
    const ch = e.channel;
    if (!cfg || !ch || e.state === 'gone') return;
    e.leave ??= new AbortController();
    const leave = e.leave.signal;
    const clock = this.deps.clock;
    while (!leave.aborted && !ended(ch)) {
      const period = new AbortController();
      const onLeave = (): void => period.abort(LEFT);
      leave.addEventListener('abort', onLeave, { once: true });
      const t = clock.setTimeout(() => period.abort(LEFT), cfg.periodMs);
      while (!period.signal.aborted && !ended(ch)) {
        if (cfg.music) {
          const r = await ch.media.play([{ kind: 'prompt', name: cfg.music }], { signal: period.signal }).catch(() => ({ outcome: 'failed' as const }));
          if (r.outcome === 'failed' || r.outcome === 'hungup') break;
        } else {
          await clock.sleep(cfg.periodMs, period.signal).catch(() => undefined);
        }
      }
      t.cancel();
      leave.removeEventListener('abort', onLeave);
      if (leave.aborted || ended(ch)) return;
      const live = this.queues.get(e.queueId);
      if (!live) return;
      await ch.media.play(this.announcement(live, e), { signal: leave }).catch(() => undefined);
    }
  }

  /** The announcement from live data: position, EWT from staffing and recent handle time, callback offer. */
  announcement(q: QueueRt, e: Entry): PlayItem[] {
    const position = q.waiting.position(e.id);
    const items: PlayItem[] = [
      { kind: 'prompt', name: 'queue/you-are-number' },
      { kind: 'prompt', name: `number/${position}` },
    ];
    const ewt = estimatedWaitMs(position, this.staffed(q), q.aht.mean(q.cfg.defaultAhtMs));
    if (ewt !== null) {
      items.push({ kind: 'prompt', name: 'queue/estimated-wait' }, { kind: 'prompt', name: `number/${Math.max(1, Math.ceil(ewt / 60_000))}` }, { kind: 'prompt', name: 'queue/minutes' });
    }
    if (q.cfg.callback) items.push({ kind: 'prompt', name: 'queue/press-for-callback' }, { kind: 'prompt', name: `digit/${q.cfg.callback.key}` });
    return items;
  }

  // ================================================================ internals: plumbing

  private emit<T extends AcdEventType>(type: T, payload: AcdEventMap[T], ids: { queueId?: string | null; agentId?: string | null; callId?: string | null }): void {
    const ev = this.deps.bus.publish(type, payload as EventMap[T]);
    this.pendingEvents.push({ id: ev.id, at: ev.at, type, queueId: ids.queueId ?? null, agentId: ids.agentId ?? null, callId: ids.callId ?? null, payload } as AnyAcdEventRecord);
    this.scheduleFlush();
  }

  /**
   * Write the tick's buffered events and changed agent rows to the store in one transaction
   * (a routing decision then costs no synchronous disk write of its own, and a crash cannot
   * keep an agent row without the event that explains it, or the reverse).
   */
  flush(): void {
    this.flushScheduled = false;
    this.flushTimer?.cancel();
    this.flushTimer = null;
    if (this.pendingEvents.length === 0 && this.dirtyAgents.size === 0) return;
    const events = this.pendingEvents;
    this.pendingEvents = [];
    const now = this.deps.clock.now();
    const rows = [...this.dirtyAgents].map((a) => ({ agentId: a.cfg.id, status: a.status, breakReason: a.breakReason, state: a.state, updatedAt: now }));
    this.dirtyAgents.clear();
    try {
      this.deps.store.saveTick(events, rows);
    } catch (err) {
      this.deps.log.error({ err, events: events.length, agents: rows.length }, 'acd tick not stored');
    }
  }

  private count(queueId: string, fn: (c: QueueCounts) => void): void {
    const c = this.realtime.get(queueId);
    if (c) fn(c);
  }

  private thresholds(queueId: string): { serviceLevelMs: number; shortAbandonMs: number } {
    const q = this.queues.get(queueId);
    return { serviceLevelMs: q?.cfg.serviceLevelMs ?? 20_000, shortAbandonMs: q?.cfg.shortAbandonMs ?? 5_000 };
  }

  private mono(): number {
    return this.deps.clock.monotonic();
  }

  private agent(id: string): AgentRt {
    const a = this.agents.get(id);
    if (!a) throw new NotFoundError('agent', id);
    return a;
  }

  private queue(id: string): QueueRt {
    const q = this.queues.get(id);
    if (!q) throw new NotFoundError('queue', id);
    return q;
  }

  private entryByCall(callId: string): Entry {
    const direct = this.entries.get(callId);
    if (direct) return direct;
    for (const e of this.entries.values()) if (e.callId === callId) return e;
    throw new NotFoundError('waiting call', callId);
  }
}
