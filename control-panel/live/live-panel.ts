/**
 * The live side of the panel (issue 9: agent desktop, supervisor console, wallboard): the SSE
 * hub, the call read model, the domain ports, and the projectors that turn bus events into
 * fragments for one signed-in user. A projector decides per event, for that user only:
 *
 *   desk        events about the user's own ACD agent: status/state → `#desk-status`; an
 *               offer to them → the screen pop `#pop`; the offer's end / wrap-up → `#pop-phase`;
 *               any work-order change → the `todo` signal (the to-do list refetches itself).
 *   supervisor  queues and agents inside the user's data scope: `#q-<queue>` rows,
 *               `#a-<agent>` rows, the `waiting` signal for the waiting-call list.
 *   wallboard   `#t-<queue>` tiles of the queues in scope (rendered once per event and
 *               language, shared by every wallboard watching).
 *
 * Messages are `oob` (HTML whose top-level elements replace the elements with the same id),
 * `signal` (data = a name; the page dispatches `sse:<name>`) and `reset` (resume impossible).
 */
import '../../appliance/acd/acd-events.js';
import '../../appliance/workorders/workorder-events.js';
import type { Clock } from '../../appliance/core/clock.js';
import { NotFoundError } from '../../appliance/core/errors.js';
import type { AnyAppEvent, EventBus } from '../../appliance/core/events.js';
import type { Logger } from '../../appliance/core/log.js';
import type { OrderStatus } from '../../appliance/workorders/model.js';
import type { Access } from '../auth/users.js';
import { html, type SafeHtml } from '../html.js';
import type { Translate } from '../i18n.js';
import { agentRow, DEFAULT_THRESHOLDS, figures, queueRow, wallTile, type AgentView, type QueueFigures, type WallboardThresholds } from '../views/board-views.js';
import { ivrPathList, noPop, orderForm, screenPop, statusControl, type DeskStatusView, type OrderDraft } from '../views/desk-views.js';
import { CallTracker } from './call-tracker.js';
import { LiveHub, type LiveHubOptions, type Projector } from './live-hub.js';
import {
  DEFAULT_BREAK_REASONS,
  DEFAULT_WRAP_UP_CODES,
  emptyDirectory,
  nullCustomerLookup,
  type AcdDirectory,
  type AcdPort,
  type CallControl,
  type CallHistory,
  type Code,
  type CustomerLookup,
  type LiveServices,
  type RecentCall,
  type WorkOrdersPort,
} from './ports.js';
import { inScope } from './scope.js';

/** What the daemon passes for the live pages (all optional: absent features render as such). */
export interface LiveDeps {
  acd?: AcdPort;
  workOrders?: WorkOrdersPort;
  customers?: CustomerLookup;
  callControl?: CallControl;
  callHistory?: CallHistory;
  /** Who is which ACD agent; the queues and agents with their departments (data scope). */
  acdDirectory?: AcdDirectory;
  breakReasons?: readonly Code[];
  wrapUpCodes?: readonly Code[];
  wallboardThresholds?: WallboardThresholds;
  sse?: LiveHubOptions;
}

export const OPEN_ORDER_STATUSES: readonly OrderStatus[] = ['new', 'accepted', 'in-progress', 'replied', 'suspended', 'waiting-customer'];

export interface Viewer {
  lang: string;
  t: Translate;
  access: Access | null;
  csrf: SafeHtml;
}

export class LivePanel {
  readonly hub: LiveHub;
  readonly tracker: CallTracker;
  readonly svc: LiveServices;
  readonly thresholds: WallboardThresholds;
  private memoEvent = '';
  private readonly memo = new Map<string, SafeHtml>();

  constructor(
    private readonly core: { bus: EventBus; clock: Clock; log: Logger },
    deps: LiveDeps = {},
  ) {
    // The tracker subscribes first, so a projector reading it sees the event already applied.
    this.tracker = new CallTracker(core.bus);
    this.hub = new LiveHub(core, deps.sse);
    this.svc = {
      acd: deps.acd ?? null,
      workOrders: deps.workOrders ?? null,
      customers: deps.customers ?? nullCustomerLookup,
      callControl: deps.callControl ?? null,
      callHistory: deps.callHistory ?? null,
      directory: deps.acdDirectory ?? emptyDirectory,
      breakReasons: deps.breakReasons ?? DEFAULT_BREAK_REASONS,
      wrapUpCodes: deps.wrapUpCodes ?? DEFAULT_WRAP_UP_CODES,
    };
    this.thresholds = deps.wallboardThresholds ?? DEFAULT_THRESHOLDS;
  }

  close(): void {
    this.hub.close();
    this.tracker.close();
  }

  now(): number {
    return this.core.clock.now();
  }

  // ------------------------------------------------------------ reads through the ports

  agentView(agentId: string): AgentView | null {
    if (!this.svc.acd) return null;
    try {
      const s = this.svc.acd.agentSnapshot(agentId);
      return { status: s.status, state: s.state, breakReason: s.breakReason, callId: s.callId };
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  queueFigures(queueId: string): QueueFigures | null {
    if (!this.svc.acd) return null;
    try {
      return figures(this.svc.acd.queueSnapshot(queueId));
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  recentCalls(number: string | null): RecentCall[] {
    if (!number) return [];
    return this.svc.callHistory?.recent(number, 5) ?? this.tracker.recent(number, 5);
  }

  orderDraft(t: Translate, callId: string, typeId = ''): OrderDraft {
    const call = this.tracker.get(callId);
    const customer = call?.number ? this.svc.customers.byPhone(call.number)[0] : undefined;
    return {
      callId,
      typeId,
      title: call?.number ? t('desk.order-title-default', { number: call.number }) : '',
      description: '',
      customerId: customer?.customerId ?? '',
      contactPhone: call?.number ?? '',
      fields: { ...(call?.ivrVars ?? {}) },
    };
  }

  orderFormFor(v: Viewer, draft: OrderDraft): SafeHtml | null {
    if (!this.svc.workOrders || !v.access?.permissions.can('workorders', 'create')) return null;
    return orderForm(v.t, this.svc.workOrders.listTypes(), draft, { csrf: v.csrf });
  }

  pop(v: Viewer, callId: string | null, phase: string): SafeHtml {
    if (!callId) return noPop(v.t);
    const call = this.tracker.get(callId);
    const customers = call?.number ? this.svc.customers.byPhone(call.number) : [];
    const first = customers[0];
    const openOrders =
      this.svc.workOrders && first && v.access?.permissions.can('workorders', 'view')
        ? this.svc.workOrders.list({ customerId: first.customerId, status: OPEN_ORDER_STATUSES, limit: 10 }).items
        : [];
    return screenPop(
      v.t,
      { callId, call, phase, customers, openOrders, recent: this.recentCalls(call?.number ?? null), callControl: this.svc.callControl !== null },
      { csrf: v.csrf, wrapUpCodes: this.svc.wrapUpCodes, orderForm: this.orderFormFor(v, this.orderDraft(v.t, callId)) },
    );
  }

  /** The pop for an agent's current call, when the page is (re)loaded. */
  currentPop(v: Viewer, agentId: string | null): SafeHtml {
    const a = agentId ? this.agentView(agentId) : null;
    if (!a?.callId) return noPop(v.t);
    const phase = a.state === 'offered' ? 'ringing' : a.state === 'wrap-up' ? 'wrap-up' : 'talking';
    return this.pop(v, a.callId, phase);
  }

  deskStatus(v: Viewer, agentId: string | null, error?: string): SafeHtml {
    const a = agentId ? this.agentView(agentId) : null;
    const view: DeskStatusView | null = a ? { status: a.status, state: a.state, breakReason: a.breakReason } : null;
    return statusControl(v.t, view, { csrf: v.csrf, reasons: this.svc.breakReasons, ...(error !== undefined && { error }) });
  }

  // ------------------------------------------------------------ projectors

  deskProjector(v: Viewer, agentId: string | null): Projector {
    return (e) => {
      if (e.type.startsWith('workorder.order.')) return [{ event: 'signal', data: 'todo' }];
      if (!agentId) return [];
      switch (e.type) {
        case 'acd.agent.status-changed':
        case 'acd.agent.state-changed': {
          if (e.payload.agentId !== agentId) return [];
          const out = [{ event: 'oob', data: this.deskStatus(v, agentId).value }];
          if (e.type === 'acd.agent.state-changed' && e.payload.to === 'wrap-up') out.push({ event: 'oob', data: phaseLine(v.t, 'wrap-up').value });
          return out;
        }
        case 'acd.offer.created':
          return e.payload.agentIds.includes(agentId) ? [{ event: 'oob', data: this.pop(v, e.payload.callId, 'ringing').value }] : [];
        case 'ivr.flow.completed': {
          // The IVR's record of a queued call may come after the offer (the enqueue verb returns once queued).
          const call = this.tracker.get(e.payload.callId);
          return this.agentView(agentId)?.callId === e.payload.callId && call ? [{ event: 'oob', data: ivrPathList(call.ivrPath).value }] : [];
        }
        case 'acd.offer.ended':
          return e.payload.agentId === agentId
            ? [{ event: 'oob', data: phaseLine(v.t, e.payload.outcome === 'answered' ? 'talking' : 'missed').value }]
            : [];
        default:
          return [];
      }
    };
  }

  supervisorProjector(v: Viewer, canEdit: boolean): Projector {
    const dir = this.svc.directory;
    return (e) => {
      const { queues, agentId } = this.affected(e);
      const out: { event: string; data: string }[] = [];
      const rows: string[] = [];
      for (const qid of queues) {
        const q = dir.queues().find((x) => x.id === qid);
        if (q && inScope(v.access, q.departmentId)) rows.push(queueRow(v.t, q, this.queueFigures(q.id)).value);
      }
      if (agentId) {
        const a = dir.agents().find((x) => x.id === agentId);
        if (a && inScope(v.access, a.departmentId))
          rows.push(agentRow(v.t, a, this.agentView(a.id), { csrf: v.csrf, canEdit, reasons: this.svc.breakReasons }).value);
      }
      if (rows.length) out.push({ event: 'oob', data: rows.join('\n') });
      const visibleQueue = queues.some((qid) => inScope(v.access, dir.queues().find((x) => x.id === qid)?.departmentId ?? null));
      if (visibleQueue && (e.type.startsWith('queue.') || e.type.startsWith('acd.offer.'))) out.push({ event: 'signal', data: 'waiting' });
      return out;
    };
  }

  wallboardProjector(v: Viewer): Projector {
    const dir = this.svc.directory;
    return (e) => {
      const { queues } = this.affected(e);
      const tiles: string[] = [];
      for (const qid of queues) {
        const q = dir.queues().find((x) => x.id === qid);
        if (!q || !inScope(v.access, q.departmentId)) continue;
        tiles.push(this.memoized(e.id, `wall|${v.lang}|${q.id}`, () => wallTile(v.t, q, this.queueFigures(q.id), this.thresholds)).value);
      }
      return tiles.length ? [{ event: 'oob', data: tiles.join('\n') }] : [];
    };
  }

  /** Queues (and the agent) an event changes the figures of. */
  private affected(e: AnyAppEvent): { queues: string[]; agentId: string | null } {
    if (e.type === 'acd.agent.status-changed' || e.type === 'acd.agent.state-changed' || e.type === 'acd.agent.reconciled') {
      let queues: string[] = [];
      try {
        queues = this.svc.acd?.agentSnapshot(e.payload.agentId).queues ?? [];
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      return { queues, agentId: e.payload.agentId };
    }
    if (e.type === 'queue.caller.moved') return { queues: [e.payload.queueId, e.payload.toQueueId], agentId: null };
    const p = e.payload as { queueId?: unknown };
    if ((e.type.startsWith('queue.') || e.type.startsWith('acd.')) && typeof p.queueId === 'string') return { queues: [p.queueId], agentId: null };
    return { queues: [], agentId: null };
  }

  /** One render per (event, key) across all clients: the wallboard fan-out renders once. */
  private memoized(eventId: string, key: string, render: () => SafeHtml): SafeHtml {
    if (eventId !== this.memoEvent) {
      this.memoEvent = eventId;
      this.memo.clear();
    }
    let v = this.memo.get(key);
    if (!v) {
      v = render();
      this.memo.set(key, v);
    }
    return v;
  }
}

export function phaseLine(t: Translate, phase: string): SafeHtml {
  return html`<p id="pop-phase" class="phase">${t(`desk.phase.${phase}`)}</p>`;
}
