/**
 * Work-order events → personal messages (issue 8: "real-time messages (new assignment, urge,
 * return, SLA warning) that open the order in one click"; seed [W 2]: urge 催办 "with reminders
 * to the urged person"). Subscribes to the bus after commit and sends through a MessageSink port
 * (appliance/messages implements it; the daemon wires the two, so neither module imports the
 * other). Every message carries the order id, which the panel turns into a link.
 *
 * Escalation after an SLA breach: the breach goes at high priority to the event's notify list
 * (pending assignees and the acceptor), and one level up — the head of every department on that
 * list, and the superior of every person on it (Directory) — as an `escalation` message. Each
 * later step of the policy's escalation chain (`workorder.sla.escalated`, level k) goes k levels up.
 */
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { Assignee } from './model.js';
import type { Directory } from './workflow.js';
import type { WorkOrderService } from './workorder-service.js';
import './workorder-events.js';

export interface MessageSink {
  send(
    input: {
      to: Assignee;
      kind: 'assigned' | 'urge' | 'returned' | 'replied' | 'sla-warn' | 'sla-breach' | 'escalation' | 'reopened';
      priority: 'normal' | 'high';
      title: string;
      body?: string;
      orderId: string;
    },
    sender: string,
  ): unknown;
}

export interface NotifierDeps {
  bus: EventBus;
  orders: Pick<WorkOrderService, 'get' | 'department'>;
  sink: MessageSink;
  log: Logger;
  directory?: Directory;
}

const key = (a: Assignee): string => `${a.kind}:${a.id}`;
const unique = (list: readonly Assignee[]): Assignee[] => [...new Map(list.map((a) => [key(a), a])).values()];

/** Start notifying; returns the unsubscribe function. */
export function startNotifier(deps: NotifierDeps): () => void {
  const { bus, sink, orders } = deps;
  const send = (to: readonly Assignee[], m: Omit<Parameters<MessageSink['send']>[0], 'to'>, sender: string): void => {
    for (const a of unique(to)) {
      try {
        sink.send({ ...m, to: a }, sender);
      } catch (err) {
        deps.log.error({ err, to: a, orderId: m.orderId }, 'message not sent');
      }
    }
  };
  const acceptor = (orderId: string): Assignee[] => {
    const id = orders.get(orderId).acceptorId;
    return id ? [{ kind: 'user', id }] : [];
  };
  /** One level up: the head of every department on the list and the superior of every person. */
  const oneUp = (list: readonly Assignee[]): Assignee[] => {
    const up: Assignee[] = [];
    for (const a of list) {
      if (a.kind === 'department') {
        try {
          const head = orders.department(a.id).headUserId;
          if (head) up.push({ kind: 'user', id: head });
        } catch {
          // An unknown department has no head to escalate to.
        }
      } else if (a.kind === 'user') {
        const boss = deps.directory?.superiorOf(a.id) ?? null;
        if (boss) up.push({ kind: 'user', id: boss });
      }
    }
    return unique(up);
  };
  /**
   * Escalation level k goes k levels up from the notify list; people already told at a lower
   * level are not told again. Where the chain ends (no superior) the top reached is told.
   */
  const escalate = (notify: readonly Assignee[], level: number, title: string, orderId: string): void => {
    const seen = new Set(notify.map(key));
    let current: Assignee[] = [...notify];
    for (let k = 0; k < level; k++) {
      const up = oneUp(current).filter((a) => !seen.has(key(a)));
      if (up.length === 0) break;
      up.forEach((a) => seen.add(key(a)));
      current = up;
    }
    if (current.some((a) => !notify.some((n) => key(n) === key(a)))) send(current, { kind: 'escalation', priority: 'high', title, orderId }, 'system');
  };
  const offs = [
    bus.on('workorder.order.dispatched', ({ payload: p }) =>
      send(p.assignees, { kind: 'assigned', priority: 'normal', title: `新工单 ${p.number}`, body: p.note ?? '', orderId: p.orderId }, p.actor),
    ),
    bus.on('workorder.order.transferred', ({ payload: p }) =>
      send([p.to], { kind: 'assigned', priority: 'normal', title: `转办工单 ${p.number}`, body: p.note ?? '', orderId: p.orderId }, p.actor),
    ),
    bus.on('workorder.order.urged', ({ payload: p }) =>
      send(p.urged, { kind: 'urge', priority: 'high', title: `催办 ${p.number}（第${p.urgeCount}次）`, body: p.note ?? '', orderId: p.orderId }, p.actor),
    ),
    bus.on('workorder.order.returned', ({ payload: p }) =>
      send(acceptor(p.orderId), { kind: 'returned', priority: 'normal', title: `退办 ${p.number}`, body: p.note ?? '', orderId: p.orderId }, p.actor),
    ),
    bus.on('workorder.order.replied', ({ payload: p }) => {
      if (p.toStatus === 'replied') send(acceptor(p.orderId), { kind: 'replied', priority: 'normal', title: `已回复 ${p.number}`, orderId: p.orderId }, p.actor);
    }),
    bus.on('workorder.order.reopened', ({ payload: p }) =>
      send(acceptor(p.orderId), { kind: 'reopened', priority: 'high', title: `工单重开 ${p.number}`, body: p.note ?? '', orderId: p.orderId }, p.actor),
    ),
    bus.on('workorder.sla.warned', ({ payload: p }) =>
      send(p.notify, { kind: 'sla-warn', priority: 'normal', title: `即将超时 ${p.number}（${p.metric} ${p.percent}%）`, orderId: p.orderId }, 'system'),
    ),
    bus.on('workorder.sla.breached', ({ payload: p }) => {
      send(p.notify, { kind: 'sla-breach', priority: 'high', title: `已超时 ${p.number}（${p.metric}）`, orderId: p.orderId }, 'system');
      escalate(p.notify, 1, `超时升级 ${p.number}（${p.metric}）`, p.orderId);
    }),
    bus.on('workorder.sla.escalated', ({ payload: p }) => {
      const level = p.level ?? 2;
      escalate(p.notify, level, `超时升级（${level}级）${p.number}（${p.metric}）`, p.orderId);
    }),
  ];
  return () => offs.forEach((off) => off());
}
