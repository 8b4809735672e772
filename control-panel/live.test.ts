/**
 * The agent desktop, supervisor console, wallboard and their SSE stream (issue 9), in process
 * over a real socket against the real ACD and work-order services (testing/live-rig.ts).
 */
import test from 'ava';
import { addUser, setupAdmin, type Harness, type PanelClient } from './testing/panel-harness.js';
import { startLiveRig, type LiveRig } from './testing/live-rig.js';

interface Stream {
  status: number;
  contentType: string | null;
  text(): string;
  until(pred: (text: string) => boolean, ms?: number): Promise<string>;
  close(): void;
}

async function openStream(h: Harness, c: PanelClient, view: string, headers: Record<string, string> = {}): Promise<Stream> {
  const ctrl = new AbortController();
  const res = await fetch(`${h.base}/events/stream?view=${view}`, { headers: { cookie: c.cookieHeader(), accept: 'text/event-stream', ...headers }, signal: ctrl.signal });
  let buf = '';
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let pending: Promise<void> | null = null;
  const pump = (): Promise<void> =>
    (pending ??= reader.read().then(
      (r) => {
        pending = null;
        if (r.value) buf += dec.decode(r.value, { stream: true });
      },
      () => {
        pending = null;
      },
    ));
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    text: () => buf,
    until: async (pred, ms = 3000) => {
      const deadline = Date.now() + ms;
      while (!pred(buf)) {
        if (Date.now() > deadline) throw new Error(`stream timeout; got:\n${buf}`);
        await Promise.race([pump(), new Promise((r) => setTimeout(r, 50))]);
      }
      return buf;
    },
    close: () => ctrl.abort(),
  };
}

async function agentsAndSupervisor(rig: LiveRig): Promise<{ admin: PanelClient; a1: PanelClient; sup: PanelClient; supId: string }> {
  const admin = await setupAdmin(rig.h);
  const a1 = await addUser(rig.h, admin, 'a1', ['agent']);
  const sup = await addUser(rig.h, admin, 'boss', ['supervisor']);
  const supId = (await rig.h.store.db.selectFrom('panel_users').select('id').where('login', '=', 'boss').executeTakeFirstOrThrow()).id;
  await rig.h.panel.services.users.update(supId, { departmentId: 'd1' }, { actor: 'test', ip: null });
  return { admin, a1, sup, supId };
}

test('desk: full page vs fragment; 示闲 calls Acd.setStatus (audited); a bad break reason re-renders with 422', async (t) => {
  const rig = await startLiveRig();
  t.teardown(() => rig.close());
  const { a1 } = await agentsAndSupervisor(rig);
  const page = await a1.get('/desk');
  t.is(page.status, 200);
  t.regex(page.text, /^<!doctype html>/);
  t.regex(page.text, /<section class="desk" id="desk" sse-connect="\/events\/stream\?view=desk/);
  t.regex(page.text, /<script src="\/static\/live\.js" defer><\/script>/);
  t.regex(page.text, /data-status="logged-out"/);
  const frag = await a1.get('/desk', { 'HX-Request': 'true' });
  t.regex(frag.text, /^<section class="desk"/);
  t.notRegex(frag.text, /<html|<nav/);

  const r = await a1.post('/desk/status', { status: 'available' }, { 'HX-Request': 'true' });
  t.is(r.status, 200);
  t.regex(r.text, /^<div id="desk-status"[^>]*data-status="available"/);
  t.is(rig.acd.agentSnapshot('a1').status, 'available');
  const audit = (await rig.h.audit.search({ limit: 10, action: 'agent.status-set' })).items;
  t.like(audit[0]?.after as object, { status: 'available' });

  const bad = await a1.post('/desk/status', { status: 'on-break', reason: 'nap<script>' }, { 'HX-Request': 'true' });
  t.is(bad.status, 422);
  t.is(rig.acd.agentSnapshot('a1').status, 'available');
  const brk = await a1.post('/desk/status', { status: 'on-break', reason: 'meal' });
  t.is(brk.status, 303);
  t.like(rig.acd.agentSnapshot('a1'), { status: 'on-break', breakReason: 'meal' });
});

test('SSE: an offer on the bus reaches the subscribed desk in the same tick; the pop is escaped and carries customer, tier, IVR inputs', async (t) => {
  const rig = await startLiveRig();
  t.teardown(() => rig.close());
  const { a1 } = await agentsAndSupervisor(rig);
  const xss = '<img src=x onerror=alert(1)>"王\'';
  rig.customers.set('13800138000', [{ customerId: 'cust-1', name: xss, tier: 'vip' }]);
  rig.acd.setStatus('a1', 'available');
  const s = await openStream(rig.h, a1, 'desk');
  t.teardown(() => s.close());
  t.is(s.status, 200);
  t.regex(s.contentType ?? '', /^text\/event-stream/);
  await s.until((x) => x.includes(': connected'));
  const sentBefore = rig.h.panel.live.hub.stats.sent;
  rig.callIn('call-1', '13800138000', { vars: { meterNo: '3300112233', outage: '<b>计划停电</b>' } });
  t.true(rig.h.panel.live.hub.stats.sent > sentBefore, 'written to the socket inside the publish');
  const text = await s.until((x) => x.includes('pop-card'));
  const pop = text.slice(text.indexOf('<section id="pop"'));
  t.regex(pop, /id="pop-number">13800138000</);
  t.true(pop.includes('&lt;img src=x onerror=alert(1)&gt;&quot;王&#39;'));
  t.false(pop.includes('<img'));
  t.regex(pop, /id="pop-tier" class="tier tier-vip">VIP</);
  t.regex(pop, /<dt>meterNo<\/dt><dd>3300112233<\/dd>/);
  t.true(pop.includes('&lt;b&gt;计划停电&lt;/b&gt;'));
  t.regex(pop, /<li>welcome<\/li><li>menu<\/li>/);
  // The inline work-order form is prefilled from the IVR inputs, the call linked.
  t.regex(pop, /name="fields\.meterNo" value="3300112233"/);
  t.regex(pop, /name="callId" value="call-1"/);
  // Call control is not wired: the buttons are disabled with a tooltip.
  t.regex(pop, /id="cc-answer" disabled title="话务控制尚未接入本设备"/);
  // Another agent's stream saw nothing of it.
  t.is(rig.acd.agentSnapshot('a1').state, 'offered');
  // Reloading the desk renders the same pop (state from the ACD, not only the stream).
  const page = await a1.get('/desk', { 'HX-Request': 'true' });
  t.regex(page.text, /data-call="call-1"/);
  t.false(page.text.includes('<img'));
  // Answering moves the phase line.
  rig.dialer.ringing.get('a1')!.answer();
  await s.until((x) => x.includes('<p id="pop-phase" class="phase">通话中</p>'));
  t.pass();
});

test('SSE: heartbeat comments on the ManualClock, and Last-Event-ID resume replays what was missed', async (t) => {
  const rig = await startLiveRig();
  t.teardown(() => rig.close());
  const { a1 } = await agentsAndSupervisor(rig);
  const s = await openStream(rig.h, a1, 'desk');
  await s.until((x) => x.includes(': connected'));
  t.false(s.text().includes(': hb'));
  rig.h.clock.advance(15_000);
  await s.until((x) => x.includes(': hb '));
  // Go available while connected; remember the id; disconnect; miss a change; reconnect with the id.
  await a1.post('/desk/status', { status: 'available' });
  const seen = await s.until((x) => x.includes('data-status="available"'));
  const lastId = [...seen.matchAll(/^id: (\S+)$/gm)].at(-1)![1]!;
  s.close();
  rig.acd.setStatus('a1', 'on-break', 'meeting');
  const again = await openStream(rig.h, a1, 'desk', { 'Last-Event-ID': lastId });
  t.teardown(() => again.close());
  const text = await again.until((x) => x.includes('data-status="on-break"'));
  t.false(text.includes('data-status="available"'), 'only events after the id are replayed');
  const stale = await openStream(rig.h, a1, 'desk', { 'Last-Event-ID': '01ZZZZZZZZZZZZZZZZZZZZZZZZ' });
  t.teardown(() => stale.close());
  await stale.until((x) => x.includes('event: reset'));
  t.pass();
});

test('permissions: an agent cannot open /supervisor, its fragments or its stream (403, audited); a plain GET of the stream never hangs', async (t) => {
  const rig = await startLiveRig();
  t.teardown(() => rig.close());
  const { a1, sup } = await agentsAndSupervisor(rig);
  t.is((await a1.get('/supervisor')).status, 403);
  t.is((await a1.get('/supervisor/queues', { 'HX-Request': 'true' })).status, 403);
  t.is((await a1.get('/wallboard')).status, 403);
  const s = await openStream(rig.h, a1, 'supervisor');
  t.is(s.status, 403);
  s.close();
  const denied = (await rig.h.audit.search({ limit: 50, action: 'access.denied' })).items;
  t.true(denied.some((d) => (d.after as { reason: string }).reason === 'permission:supervisor:view' && d.target === 'GET /events/stream'));
  t.is((await a1.post('/supervisor/agents/a2/status', { status: 'logged-out' })).status, 403);
  t.is(rig.acd.agentSnapshot('a2').status, 'logged-out');
  // Supervisors have no desk.
  t.is((await sup.get('/desk')).status, 403);
  const info = await a1.get('/events/stream?view=desk');
  t.is(info.status, 200);
  t.regex(info.text, /view=desk/);
  t.notRegex(info.text, /view=supervisor/);
});

test('data scope: a department-tree supervisor sees and acts on their department only (page, fragments, stream)', async (t) => {
  const rig = await startLiveRig();
  t.teardown(() => rig.close());
  const { sup } = await agentsAndSupervisor(rig);
  const page = await sup.get('/supervisor');
  t.is(page.status, 200);
  t.regex(page.text, /id="q-q1"/);
  t.notRegex(page.text, /id="q-q2"/);
  t.regex(page.text, /id="a-a1"/);
  t.notRegex(page.text, /id="a-b1"/);
  const wall = await sup.get('/wallboard');
  t.regex(wall.text, /id="t-q1"/);
  t.notRegex(wall.text, /id="t-q2"|营业咨询/);
  t.notRegex(wall.text, /<nav/);

  const s = await openStream(rig.h, sup, 'supervisor');
  t.teardown(() => s.close());
  await s.until((x) => x.includes(': connected'));
  rig.acd.setStatus('b1', 'available'); // d2: invisible
  rig.acd.setStatus('a2', 'available'); // d1: visible
  const text = await s.until((x) => x.includes('id="a-a2"'));
  t.notRegex(text, /a-b1|q-q2/);
  t.regex(text, /id="q-q1"/);

  // Forcing the status of an agent out of scope is a 404; in scope it works and is audited.
  t.is((await sup.post('/supervisor/agents/b1/status', { status: 'logged-out' })).status, 404);
  t.is(rig.acd.agentSnapshot('b1').status, 'available');
  const forced = await sup.post('/supervisor/agents/a2/status', { status: 'on-break', reason: 'training' }, { 'HX-Request': 'true' });
  t.is(forced.status, 200);
  t.regex(forced.text, /^<tr id="a-a2"/);
  t.like(rig.acd.agentSnapshot('a2'), { status: 'on-break', breakReason: 'training' });
  const audit = (await rig.h.audit.search({ limit: 5, action: 'supervisor.agent.status-forced' })).items;
  t.like(audit[0]?.before as object, { status: 'available' });
  t.like(audit[0]?.after as object, { status: 'on-break' });
});

test('supervisor: waiting calls, explain (eligible and why not), move to another queue head (audited); wallboard tiles update over SSE', async (t) => {
  const rig = await startLiveRig();
  t.teardown(() => rig.close());
  const { admin } = await agentsAndSupervisor(rig);
  const boss = await addUser(rig.h, admin, 'chief', ['supervisor']);
  // This site's supervisors see every department (role data scope "all").
  await rig.h.store.db.updateTable('panel_roles').set({ data_scope: 'all' }).where('id', '=', 'supervisor').execute();
  const wall = await openStream(rig.h, boss, 'wallboard');
  t.teardown(() => wall.close());
  await wall.until((x) => x.includes(': connected'));
  rig.callIn('call-7', '02099990000', { queueId: 'q1' });
  const tiles = await wall.until((x) => x.includes('id="t-q1"') && x.includes('<span class="n waiting">1</span>'));
  t.regex(tiles, /title="Ans≤T \/ \(Ans \+ Ab − Ab_short\) × 100"/);

  const list = await boss.get('/supervisor/calls', { 'HX-Request': 'true' });
  t.regex(list.text, /data-call="call-7"/);
  t.regex(list.text, /02099990000/);
  const why = await boss.get('/supervisor/explain?callId=call-7', { 'HX-Request': 'true' });
  t.regex(why.text, /class="ineligible"/);
  t.regex(why.text, /A1 \(a1\): logged out/);
  t.regex((await boss.get('/supervisor/explain?callId=nope', { 'HX-Request': 'true' })).text, /不在排队中/);

  await boss.get('/supervisor');
  const moved = await boss.post('/supervisor/calls/call-7/move', { queueId: 'q2', toHead: '1' }, { 'HX-Request': 'true' });
  t.is(moved.status, 200);
  t.is(rig.acd.explain('call-7').queueId, 'q2');
  const audit = (await rig.h.audit.search({ limit: 5, action: 'supervisor.caller.moved' })).items;
  t.like(audit[0]?.after as object, { queueId: 'q2', toHead: true });
  t.like(audit[0]?.before as object, { queueId: 'q1' });
  await wall.until((x) => /id="t-q2"[\s\S]*<span class="n waiting">1<\/span>/.test(x));
  t.pass();
});

test('desk: a work order created inline is linked to the call; bad fields re-render marked (422); wrap-up recorded and audited', async (t) => {
  const rig = await startLiveRig();
  t.teardown(() => rig.close());
  const { a1 } = await agentsAndSupervisor(rig);
  rig.acd.setStatus('a1', 'available');
  rig.callIn('call-9', '13911112222', { vars: { meterNo: '12' } });
  await a1.get('/desk');
  const bad = await a1.post('/desk/workorders', { callId: 'call-9', typeId: 'repair', title: '无电', 'fields.meterNo': '12' }, { 'HX-Request': 'true' });
  t.is(bad.status, 422);
  t.regex(bad.text, /id="wo-f-meterNo" name="fields\.meterNo" value="12" aria-invalid="true"/);
  t.is(rig.workOrders.ordersForCall('call-9').length, 0);
  const ok = await a1.post('/desk/workorders', { callId: 'call-9', typeId: 'repair', title: '<script>x</script>', contactPhone: '13911112222', 'fields.meterNo': '3300112233' }, { 'HX-Request': 'true' });
  t.is(ok.status, 200);
  t.regex(ok.text, /id="wo-created">已创建工单 GD\d{8}-000001</);
  const linked = rig.workOrders.ordersForCall('call-9');
  t.is(linked.length, 1);
  t.like(linked[0], { source: 'call', contactPhone: '13911112222', fields: { meterNo: '3300112233' }, createdBy: `user:${(await rig.h.store.db.selectFrom('panel_users').select('id').where('login', '=', 'a1').executeTakeFirstOrThrow()).id}` });
  const todo = await a1.get('/desk/todo', { 'HX-Request': 'true' });
  t.regex(todo.text, /^<section id="todo"/);

  const wrap = await a1.post('/desk/wrap-up', { callId: 'call-9', code: 'repair', note: 'ok' }, { 'HX-Request': 'true' });
  t.is(wrap.status, 200);
  t.regex(wrap.text, /已保存/);
  t.is((await rig.h.audit.search({ limit: 5, action: 'call.wrap-up' })).items.length, 1);
  t.is((await a1.post('/desk/wrap-up', { callId: 'call-9', code: 'bogus' }, { 'HX-Request': 'true' })).status, 422);
  const cc = await a1.post('/desk/call', { callId: 'call-9', action: 'hangup' }, { 'HX-Request': 'true' });
  t.is(cc.status, 503);
});
