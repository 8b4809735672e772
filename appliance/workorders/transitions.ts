/**
 * The order's status machine as a transition table plus guards (STYLE.md "State machines"):
 * for each status, the actions allowed in it and the statuses each action may lead to. Which of
 * the listed targets an action takes (a reply that completes the last step goes to `replied`,
 * one that does not stays `in-progress`) is decided by the workflow engine (workflow.ts); the
 * table only says what is legal. Guards say who may act; the service runs both before writing.
 *
 *   new ──accept──▶ accepted ──dispatch──▶ in-progress ──reply (last)──▶ replied ──close──▶ closed
 *                      ▲  │                 │  ▲ transfer / reply / arrive / urge                │
 *                      │  └─close (direct)──┼──┼────────────────────────────────────────────────▶│
 *                      └──────return────────┘  │                                         visit │
 *   new / accepted / in-progress / replied ──suspend / await-customer──▶ suspended /            ▼
 *   waiting-customer ──resume──▶ (the status it left)                              visited / reopen
 *
 * [W 2–4]: 转办 transfer, 退办 return, 回复 reply, 派工 dispatch, 催办 urge, 办结 close, 回访 visit.
 */
import { AppError, InvalidTransitionError } from '../core/errors.js';
import type { Actor, OrderAction, OrderStatus } from './model.js';

type Table = { readonly [S in OrderStatus]: { readonly [A in OrderAction]?: readonly OrderStatus[] } };

const pauseFrom = { suspend: ['suspended'], 'await-customer': ['waiting-customer'] } as const;

export const orderTransitions = {
  new: { accept: ['accepted'], urge: ['new'], cancel: ['cancelled'], ...pauseFrom },
  accepted: { dispatch: ['in-progress'], close: ['closed'], urge: ['accepted'], cancel: ['cancelled'], ...pauseFrom },
  'in-progress': {
    transfer: ['in-progress'],
    return: ['accepted'],
    reply: ['in-progress', 'replied'],
    arrive: ['in-progress'],
    urge: ['in-progress'],
    ...pauseFrom,
  },
  replied: { close: ['closed'], urge: ['replied'], ...pauseFrom },
  suspended: { resume: ['new', 'accepted', 'in-progress', 'replied'], urge: ['suspended'] },
  'waiting-customer': { resume: ['new', 'accepted', 'in-progress', 'replied'], urge: ['waiting-customer'] },
  closed: { visit: ['visited', 'accepted'], reopen: ['accepted'] },
  visited: { reopen: ['accepted'] },
  cancelled: {},
} as const satisfies Table;

/** Actions a person may take in `status` (for menus: only offer what the table allows). */
export function actionsIn(status: OrderStatus): OrderAction[] {
  return Object.keys(orderTransitions[status]) as OrderAction[];
}

export function canTransition(from: OrderStatus, action: OrderAction, to: OrderStatus): boolean {
  const targets = (orderTransitions as Table)[from][action];
  return targets !== undefined && targets.includes(to);
}

/** Throws InvalidTransitionError when `action` is not allowed in `from` at all. */
export function assertActionAllowed(from: OrderStatus, action: OrderAction): void {
  if ((orderTransitions as Table)[from][action] === undefined)
    throw new InvalidTransitionError('work order', from, action);
}

/** Throws InvalidTransitionError unless the table has `from --action--> to`. */
export function assertTransition(from: OrderStatus, action: OrderAction, to: OrderStatus): void {
  if (!canTransition(from, action, to)) throw new InvalidTransitionError('work order', from, `${action} → ${to}`);
}

/** The actor may not take this action on this order (wrong person, role or step). */
export class ActionForbiddenError extends AppError {
  readonly action: OrderAction;
  readonly reason: string;

  constructor(action: OrderAction, reason: string) {
    super('FORBIDDEN', `${action} refused: ${reason}`);
    this.action = action;
    this.reason = reason;
  }
}

/** Role names the guards know. Supervisors (班长) may do anything a role-bound guard allows. */
export const Roles = { agent: 'agent', supervisor: 'supervisor', visitor: 'visitor' } as const;

/** What a guard looks at. */
export interface GuardContext {
  actor: Actor;
  acceptorId: string | null;
  /** Does the actor hold a pending assignment in the order's current round? */
  holdsAssignment: boolean;
  acceptRoles: readonly string[];
}

type Guard = (c: GuardContext) => string | null;

const isSupervisor = (c: GuardContext): boolean => c.actor.roles.includes(Roles.supervisor);
const acceptorOrSupervisor: Guard = (c) =>
  c.actor.id === c.acceptorId || isSupervisor(c) ? null : 'only the acceptor or a supervisor may do this';
const assignee: Guard = (c) => (c.holdsAssignment ? null : 'the order is not assigned to you in this step');
const involved: Guard = (c) =>
  c.actor.id === c.acceptorId || isSupervisor(c) || c.holdsAssignment
    ? null
    : 'only the acceptor, a current assignee or a supervisor may do this';

/** Who may take each action. `null` from a guard means allowed; a string is the refusal reason. */
export const guards: { readonly [A in OrderAction]: Guard } = {
  create: () => null,
  accept: (c) =>
    c.actor.roles.some((r) => c.acceptRoles.includes(r)) || isSupervisor(c)
      ? null
      : `accepting needs one of the roles ${c.acceptRoles.join(', ')}`,
  dispatch: acceptorOrSupervisor,
  transfer: assignee,
  return: assignee,
  reply: assignee,
  arrive: assignee,
  urge: () => null,
  suspend: involved,
  'await-customer': involved,
  resume: involved,
  close: acceptorOrSupervisor,
  reopen: acceptorOrSupervisor,
  visit: (c) =>
    [Roles.agent, Roles.visitor, Roles.supervisor].some((r) => c.actor.roles.includes(r))
      ? null
      : 'callback visits need the agent, visitor or supervisor role',
  cancel: acceptorOrSupervisor,
  'sla-warn': (c) => (c.actor.channel === 'system' ? null : 'system only'),
  'sla-breach': (c) => (c.actor.channel === 'system' ? null : 'system only'),
};

export function assertGuard(action: OrderAction, ctx: GuardContext): void {
  const refusal = guards[action](ctx);
  if (refusal !== null) throw new ActionForbiddenError(action, refusal);
}
