import test from 'ava';
import { InvalidTransitionError } from '../core/errors.js';
import { OrderActions, OrderStatuses, type Actor } from './model.js';
import { actionsIn, assertActionAllowed, assertGuard, assertTransition, ActionForbiddenError, canTransition, orderTransitions } from './transitions.js';

const actor = (x: Partial<Actor>): Actor => ({ id: 'user:x', roles: [], departmentIds: [], channel: 'web', ...x });

test('every status is in the table and every target is a known status', (t) => {
  t.deepEqual(Object.keys(orderTransitions).sort(), [...OrderStatuses].sort());
  for (const s of OrderStatuses)
    for (const [action, targets] of Object.entries(orderTransitions[s])) {
      t.true((OrderActions as readonly string[]).includes(action), action);
      for (const to of targets as readonly string[]) t.true((OrderStatuses as readonly string[]).includes(to), `${s} ${action} → ${to}`);
    }
});

test('terminal and paused states allow only what the table lists', (t) => {
  t.deepEqual(actionsIn('cancelled'), []);
  t.deepEqual(actionsIn('visited'), ['reopen']);
  t.deepEqual(actionsIn('suspended').sort(), ['resume', 'urge']);
});

test('actions outside the table throw InvalidTransitionError with from and to', (t) => {
  const err = t.throws(() => assertActionAllowed('closed', 'reply'), { instanceOf: InvalidTransitionError });
  t.is(err.from, 'closed');
  t.is(err.to, 'reply');
  t.throws(() => assertTransition('in-progress', 'reply', 'closed'), { instanceOf: InvalidTransitionError });
  t.true(canTransition('in-progress', 'reply', 'replied'));
  t.false(canTransition('replied', 'dispatch', 'in-progress'));
  // Every (status, action) pair not in the table is refused.
  let refused = 0;
  for (const s of OrderStatuses)
    for (const a of OrderActions)
      if (!(a in orderTransitions[s])) {
        t.throws(() => assertActionAllowed(s, a), { instanceOf: InvalidTransitionError });
        refused++;
      }
  t.true(refused > 100);
});

test('guards: acceptor or supervisor dispatches, assignees reply, system-only SLA rows', (t) => {
  const ctx = { acceptorId: 'user:a', holdsAssignment: false, acceptRoles: ['agent'] };
  t.notThrows(() => assertGuard('dispatch', { ...ctx, actor: actor({ id: 'user:a' }) }));
  t.notThrows(() => assertGuard('dispatch', { ...ctx, actor: actor({ roles: ['supervisor'] }) }));
  t.throws(() => assertGuard('dispatch', { ...ctx, actor: actor({}) }), { instanceOf: ActionForbiddenError });
  t.throws(() => assertGuard('reply', { ...ctx, actor: actor({ id: 'user:a' }) }), { instanceOf: ActionForbiddenError });
  t.notThrows(() => assertGuard('reply', { ...ctx, holdsAssignment: true, actor: actor({}) }));
  t.throws(() => assertGuard('accept', { ...ctx, actor: actor({ roles: ['field'] }) }), { instanceOf: ActionForbiddenError });
  t.throws(() => assertGuard('sla-breach', { ...ctx, actor: actor({ roles: ['supervisor'] }) }), { instanceOf: ActionForbiddenError });
  t.notThrows(() => assertGuard('sla-breach', { ...ctx, actor: actor({ id: 'system', channel: 'system' }) }));
});
