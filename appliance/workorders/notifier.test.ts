import test from 'ava';
import { MessageService } from '../messages/message-service.js';
import { startNotifier } from './notifier.js';
import { actors, openRig, repairInput } from './testing/fixtures.js';

test('dispatch, urge, return and an SLA breach become messages that open the order; a breach escalates to the department head', (t) => {
  const rig = openRig({ slaMaxSleepMs: 60_000 });
  const log = rig.svc['deps'].log;
  const messages = new MessageService({ store: rig.store, clock: rig.clock, bus: rig.bus, log });
  const off = startNotifier({ bus: rig.bus, orders: rig.svc, sink: messages, log });
  rig.svc.createSlaPolicy({ typeId: 'repair', areaClass: 'urban', metric: 'arrival', targetMinutes: 45 });
  rig.svc.sla.start();
  let o = rig.svc.create(repairInput(), actors.agent);
  o = rig.svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = rig.svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }] }, actors.agent);
  const lineman = { id: 'user:lineman', roles: ['field'], departmentIds: ['field'] };
  t.deepEqual(messages.inbox(lineman).map((m) => [m.kind, m.orderId]), [['assigned', o.id]]);

  o = rig.svc.act(o.id, { action: 'urge', version: o.version, note: '客户再次来电' }, actors.supervisor);
  const urge = messages.inbox(lineman)[0]!;
  t.like(urge, { kind: 'urge', priority: 'high', orderId: o.id, sender: 'user:boss', body: '客户再次来电' });

  rig.clock.advance(45 * 60_000 + 1);
  const head = { id: 'user:field-head', roles: [], departmentIds: [] };
  const agent = { id: 'user:agent1', roles: [], departmentIds: [] };
  t.deepEqual(messages.inbox(lineman).map((m) => m.kind), ['sla-breach', 'sla-warn', 'urge', 'assigned']);
  t.deepEqual(messages.inbox(agent).map((m) => m.kind), ['sla-breach', 'sla-warn']);
  t.deepEqual(messages.inbox(head).map((m) => [m.kind, m.priority, m.orderId]), [['escalation', 'high', o.id]]);

  o = rig.svc.act(o.id, { action: 'return', version: o.version, reason: '非我班组辖区' }, actors.lineman);
  t.like(messages.inbox(agent)[0], { kind: 'returned', body: '非我班组辖区' });
  off();
  rig.svc.sla.stop();
  void rig.close();
});

test('an escalation chain climbs one more level each step: field head at the breach, then the director', (t) => {
  const rig = openRig({ slaMaxSleepMs: 60_000 });
  const log = rig.svc['deps'].log;
  const messages = new MessageService({ store: rig.store, clock: rig.clock, bus: rig.bus, log });
  const off = startNotifier({ bus: rig.bus, orders: rig.svc, sink: messages, log, directory: { superiorOf: (u) => (u === 'user:field-head' ? 'user:director' : null) } });
  rig.svc.createSlaPolicy({ typeId: 'repair', areaClass: 'urban', metric: 'arrival', targetMinutes: 45, escalateMinutes: [15] });
  rig.svc.sla.start();
  let o = rig.svc.create(repairInput(), actors.agent);
  o = rig.svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = rig.svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }] }, actors.agent);
  const head = { id: 'user:field-head', roles: [], departmentIds: [] };
  const director = { id: 'user:director', roles: [], departmentIds: [] };
  rig.clock.advance(45 * 60_000 + 1);
  t.deepEqual(messages.inbox(head).map((m) => m.kind), ['escalation']);
  t.deepEqual(messages.inbox(director), []);
  rig.clock.advance(15 * 60_000 - 2);
  t.deepEqual(messages.inbox(director), [], 'not before 15 minutes after the due instant');
  rig.clock.advance(1);
  t.deepEqual(messages.inbox(director).map((m) => [m.kind, m.priority, m.orderId]), [['escalation', 'high', o.id]]);
  t.regex(messages.inbox(director)[0]!.title, /2级/);
  t.is(messages.inbox(head).length, 1, 'the field head is not told again at level 2');
  off();
  rig.svc.sla.stop();
  void rig.close();
});
