import path from 'node:path';
import test from 'ava';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { EventBus, type AnyAppEvent } from '../core/events.js';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { tempDir } from '../core/testing/temp-dir.js';
import { openStore } from '../store/database.js';
import { MessageService } from './message-service.js';

function rig() {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 1));
  const log = silentLogger();
  const store = openStore({ file: path.join(tempDir('msg-'), 'a.db'), clock, log });
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  return { clock, store, bus, events, svc: new MessageService({ store, clock, bus, log }) };
}

const alice = { id: 'user:alice', roles: ['agent'], departmentIds: ['csc'] };
const bob = { id: 'user:bob', roles: ['agent'], departmentIds: ['csc'] };
const carol = { id: 'user:carol', roles: ['field'], departmentIds: ['field'] };

test('inbox: messages to a user, their department and role; each reader has their own read receipt; expiry', (t) => {
  const { svc, clock, events, store } = rig();
  const direct = svc.send({ to: { kind: 'user', id: 'user:alice' }, kind: 'urge', priority: 'high', title: '催办 GD1', orderId: 'wo_1' }, 'user:boss');
  clock.advance(1000);
  const dept = svc.send({ to: { kind: 'department', id: 'csc' }, title: '班组通知', expiresAt: clock.now() + 60_000 }, 'user:boss');
  clock.advance(1000);
  svc.send({ to: { kind: 'role', id: 'field' }, title: '抢修待命' }, 'system');
  t.deepEqual(svc.inbox(alice).map((m) => m.id), [dept.id, direct.id]);
  t.deepEqual(svc.inbox(carol).map((m) => m.title), ['抢修待命']);
  t.like(events.find((e) => e.type === 'message.message.sent'), { payload: { messageId: direct.id, orderId: 'wo_1', priority: 'high' } });

  svc.markRead(dept.id, alice);
  svc.markRead(dept.id, alice); // idempotent
  t.is(svc.unreadCount(alice), 1);
  t.is(svc.unreadCount(bob), 1, "bob has not read the department's message");
  t.deepEqual(svc.inbox(alice, { unreadOnly: true }).map((m) => m.id), [direct.id]);
  t.deepEqual(svc.receipts(dept.id).map((r) => r.userId), ['user:alice']);
  t.throws(() => svc.markRead(direct.id, bob), { instanceOf: NotFoundError }, 'not a recipient');
  t.is(events.filter((e) => e.type === 'message.message.read').length, 1);

  clock.advance(60_000);
  t.deepEqual(svc.inbox(bob).map((m) => m.id), [direct.id].filter(() => false), 'the department message expired');
  const bad = t.throws(() => svc.send({ to: { kind: 'team' as 'user', id: '' }, title: '' }, 'x'), { instanceOf: ValidationError });
  t.deepEqual(bad.issues.map((i) => i.path).sort(), ['title', 'to.id', 'to.kind']);
  t.is(store.sqlite.prepare('SELECT count(*) FROM messages').pluck().get(), 3);
});

test('announcements: audience, validity window, priority order, read receipts, withdrawal', (t) => {
  const { svc, clock, events } = rig();
  const now = clock.now();
  const all = svc.announce({ title: '系统升级', body: '今晚 22:00 升级', audience: [{ kind: 'all' }] }, 'user:boss');
  const later = svc.announce({ title: '明日培训', body: '9:00', audience: [{ kind: 'department', id: 'csc' }], validFrom: now + 3_600_000, validTo: now + 7_200_000 }, 'user:boss');
  const urgent = svc.announce({ title: '纠正话术', body: '请按新口径答复', priority: 'high', audience: [{ kind: 'user', id: 'user:bob' }, { kind: 'role', id: 'supervisor' }] }, 'user:boss');
  t.like(events.find((e) => e.type === 'message.announcement.published'), { payload: { announcementId: all.id } });
  t.deepEqual(svc.announcements(bob).map((a) => a.id), [urgent.id, all.id], 'high priority first');
  t.deepEqual(svc.announcements(alice).map((a) => a.id), [all.id]);
  clock.advance(3_600_000);
  t.deepEqual(svc.announcements(alice).map((a) => a.id), [later.id, all.id]);
  t.deepEqual(svc.announcements(carol).map((a) => a.id), [all.id]);
  svc.readAnnouncement(all.id, alice);
  t.deepEqual(svc.announcements(alice, { unreadOnly: true }).map((a) => a.id), [later.id]);
  t.throws(() => svc.readAnnouncement(urgent.id, alice), { instanceOf: NotFoundError }, 'not in the audience');
  svc.readAnnouncement(urgent.id, bob);
  t.deepEqual(svc.announcementReceipts(urgent.id).map((r) => r.userId), ['user:bob']);
  clock.advance(3_600_000);
  t.deepEqual(svc.announcements(alice).map((a) => a.id), [all.id], 'expired');
  svc.withdraw(all.id);
  t.deepEqual(svc.announcements(alice), []);
  t.throws(() => svc.withdraw('ann_nope'), { instanceOf: NotFoundError });
  const bad = t.throws(() => svc.announce({ title: 'x', body: 'y', audience: [], validFrom: 10, validTo: 5 }, 'u'), { instanceOf: ValidationError });
  t.deepEqual(bad.issues.map((i) => i.path).sort(), ['audience', 'validTo']);
});
