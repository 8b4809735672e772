/**
 * Issue 9 acceptance in a real browser (Debian's Chromium through playwright-core) against the
 * REAL daemon (main.ts spawned from source, appliance/daemon/testing/daemon-rig.ts) with two
 * baresip phones: caller 1001 and agent 1002 (auto-answer). Configured as an operator would:
 * the panel for extensions and the route DID 95598 → IVR flow `acceptance-meter`, the REST API
 * (key from the CLI) for the queue, the agent, the flow (collect the meter number by DTMF,
 * then the queue) and a work-order type whose form asks for that meter number.
 *
 *  1. The administrator's first-run password (setup code printed by the daemon), then users:
 *     agent `1002` (the ACD agent of that login) and a centre-wide supervisor.
 *  2. The agent signs in and goes 示闲; the supervisor's wallboard tile for the queue changes
 *     within 1 s of the click (measured in the wallboard page with a MutationObserver).
 *  3. 1001 dials 95598 and keys the meter number; the IVR hands the call to the queue, the ACD
 *     offers it to 1002 and the phone answers. The screen pop shows the meter number because it
 *     really went through the IVR. The agent presses hold (the real call control: the call is
 *     held in the appliance) and resume, creates a work order from the pop, and hangs up from
 *     the desk: both phones see the call end, the CDR says cause 16, and the work order is
 *     linked to that call id.
 *     The administrator's audit page offers the daemon's error-log export; a call to a DID routed
 *     to a missing flow makes the daemon log a warning, which the JSON export then contains.
 *  4. An agent cannot see the user administration (no menu entry, 403 page) nor post to it
 *     (403 with the page's own CSRF token, nothing created).
 *
 * Screenshots of each main page go to test-artifacts/screenshots/ (gitignored), named by page.
 */
import test from 'ava';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { haveBaresip, nextEvent, waitRegistered } from '../appliance/daemon/testing/baresip-phone.js';
import { startRig, type DaemonRig } from '../appliance/daemon/testing/daemon-rig.js';
import { sleep } from '../appliance/daemon/testing/wait.js';
import { launchBrowser } from './testing/browser.js';
import { addUser, ADMIN_PASSWORD, setupAdmin, USER_PASSWORD, type Harness, type PanelClient } from './testing/panel-harness.js';

const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts', 'screenshots');
const METER = '3300112233';
const serial = haveBaresip ? test.serial : test.serial.skip;

async function signIn(browser: Browser, base: string, login: string, password: string): Promise<{ page: Page; problems: string[] }> {
  const page = await (await browser.newContext({ locale: 'zh-CN' })).newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/403 \(Forbidden\)/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${base}/login`);
  await page.fill('#f-login', login);
  await page.fill('#f-password', password);
  await page.click('#login-submit');
  await page.waitForURL(`${base}/`);
  return { page, problems };
}

/** Extensions' SIP passwords (set in the panel, used by the baresip phones). */
const sipPassword = (ext: string): string => `phone-secret-${ext}`;

/**
 * The daemon configured as an operator would: the first-run administrator (setup code printed by
 * the daemon; no default password) adds the extensions and inbound routes in the panel; the
 * queue, the agent, the IVR flow and the work-order type go in by REST with a key from the CLI.
 */
async function appliance(): Promise<{ rig: DaemonRig; h: Harness; admin: PanelClient }> {
  const rig = await startRig({ phones: 2, config: { acd: { reconcileIntervalMs: 1000 } } });
  try {
    const setupCode = /setup code:\s+(\S+)/.exec(rig.daemon.stdout())?.[1];
    if (!setupCode) throw new Error(`no setup code printed: ${rig.output()}`);
    const h = { base: rig.url.replace(/\/$/, ''), setupCode } as Harness;
    const [key, admin] = await Promise.all([rig.apiKey('acceptance', ['queues:write', 'queues:read', 'ivr:write', 'ivr:read', 'admin:workorders']), setupAdmin(h)]);
    await admin.get('/admin/extensions');
    for (const [number, name] of [['1001', '来电测试'], ['1002', '坐席一']] as const) {
      const r = await admin.post('/admin/extensions', { number, displayName: name, authUser: '', password: sipPassword(number), maxContacts: '1' });
      if (r.status !== 303) throw new Error(`extension ${number}: ${r.status} ${r.text.slice(0, 500)}`);
    }
    await admin.get('/admin/routes');
    const routes = [
      { id: 'hotline', name: '95598 报修', priority: '10', did: '95598', caller: '', targetKind: 'ivr', targetValue: 'acceptance-meter', holdMs: '' },
      // A route to a flow nobody published: calls to it are refused and the daemon logs a warning.
      { id: 'broken', name: '未发布流程', priority: '20', did: '95590', caller: '', targetKind: 'ivr', targetValue: 'no-such-flow', holdMs: '' },
    ];
    for (const route of routes) {
      const r = await admin.post('/admin/routes', route);
      if (r.status !== 303) throw new Error(`route ${route.id}: ${r.status} ${r.text.slice(0, 500)}`);
    }
    const api = rig.api(key);
    await api('POST', '/acd/queues', {
      id: 'hotline',
      name: '故障报修',
      strategy: 'least-recent',
      ringTimeoutMs: 10_000,
      wrapUpMs: 0,
      maxLength: 0,
      maxWaitMs: 0,
      joinWhenEmpty: 'never',
      leaveWhenEmpty: 'never',
      serviceLevelMs: 20_000,
      shortAbandonMs: 5_000,
      defaultAhtMs: 60_000,
    });
    await api('POST', '/acd/agents', { id: '1002', name: '坐席一', skills: {}, memberships: [{ queueId: 'hotline', penalty: 0 }] });
    const draft = await api<{ version: number }>('PUT', '/ivr/flows/acceptance-meter/draft', {
      id: 'acceptance-meter',
      name: '表号报修',
      start: 'meter',
      nodes: {
        meter: { verb: 'collect', var: 'meter_no', prompt: [{ silenceMs: 200 }], minLength: 8, maxLength: 12, terminator: '#', timeoutMs: 15_000, next: 'queue', onFail: 'bye' },
        queue: { verb: 'enqueue', queue: 'hotline', vars: 'all', onFail: 'bye' },
        bye: { verb: 'hangup' },
      },
    });
    await api('POST', `/ivr/flows/acceptance-meter/versions/${draft.version}/publish`);
    await api('POST', '/workorders/admin/types', {
      id: 'repair',
      name: '故障报修',
      kind: 'repair',
      form: { fields: [{ key: 'meter_no', label: '表号', type: 'text', required: true, pattern: '[0-9]{8,12}' }] },
      workflow: { acceptRoles: ['agent'], steps: [{ id: 'repair', name: '抢修', mode: 'parallel', assign: { by: 'dispatcher' } }] },
    });
    return { rig, h, admin };
  } catch (err) {
    await rig.stop();
    throw err;
  }
}

serial('browser on the real daemon: first-run password; agent 示闲 → supervisor wallboard < 1 s; a baresip call through the IVR → pop with the meter number → hold/resume → work order linked to the call → hang up (CDR 16); no access without the permission; screenshots', async (t) => {
  mkdirSync(SHOTS, { recursive: true });
  const t0 = performance.now();
  const lap = (what: string): void => t.log(`${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const { rig, h, admin } = await appliance();
  const base = h.base;
  lap('daemon configured');
  t.teardown(() => rig.stop());
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  const [caller, agentPhone] = await Promise.all([
    rig.phone({ name: 'caller', user: '1001', tone: { freq: 1000 }, answer: false, password: sipPassword('1001') }),
    rig.phone({ name: 'agent', user: '1002', tone: { freq: 600 }, answer: true, password: sipPassword('1002') }),
  ]);
  await Promise.all([waitRegistered(caller), waitRegistered(agentPhone)]);
  lap('phones registered');

  await admin.get('/admin/roles');
  const role = await admin.post('/admin/roles', { name: '值班主任', description: '', dataScope: 'all', grant: ['dashboard:view', 'wallboard:view', 'supervisor:view', 'reports:view'] });
  t.is(role.status, 303);
  const roleId = rig.query<{ id: string }>("SELECT id FROM panel_roles WHERE name = '值班主任'")[0]!.id;
  await addUser(h, admin, '1002', ['agent'], { displayName: '坐席一' });
  await addUser(h, admin, 'sup1', [roleId], { displayName: '班长甲' });
  lap('panel users');

  // Administrator's main pages.
  const adm = await signIn(browser, base, 'admin', ADMIN_PASSWORD);
  for (const [name, p] of [['admin-dashboard', '/'], ['admin-users', '/admin/users'], ['admin-sessions', '/admin/sessions'], ['admin-ivr', '/ivr'], ['admin-audit', '/admin/audit']] as const) {
    await adm.page.goto(`${base}${p}`);
    await adm.page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }
  t.is(await adm.page.locator('#error-log-csv').count(), 1, 'the audit page (last one shown) offers the error-log export');

  const sup = await signIn(browser, base, 'sup1', USER_PASSWORD);
  await sup.page.goto(`${base}/wallboard`);
  await sup.page.waitForSelector('#wallboard[data-sse="open"]', { timeout: 5000 });
  await sup.page.waitForSelector('#t-hotline');
  await sup.page.evaluate(() => {
    const w = globalThis as unknown as { tileAt?: number; document: { querySelector(s: string): { parentNode: unknown } | null }; MutationObserver: new (cb: () => void) => { observe(n: unknown, o: object): void } };
    new w.MutationObserver(() => {
      w.tileAt ??= Date.now();
    }).observe(w.document.querySelector('#t-hotline')!.parentNode, { childList: true, subtree: true, characterData: true });
  });
  const idleBefore = await sup.page.locator('#t-hotline .as-idle .n').textContent();

  const agent = await signIn(browser, base, '1002', USER_PASSWORD);
  t.is(await agent.page.locator('nav a[data-fn="users"]').count(), 0, 'no menu entry for a function the role lacks');
  await agent.page.click('nav a[data-fn="agent-desktop"]');
  await agent.page.waitForSelector('#desk[data-sse="open"]', { timeout: 5000 });
  const clickedAt = Date.now();
  await agent.page.click('#go-available');
  await agent.page.waitForSelector('#desk-status[data-status="available"]', { timeout: 5000 });
  await sup.page.waitForFunction(
    (before) => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector('#t-hotline .as-idle .n')?.textContent !== before,
    idleBefore,
    { timeout: 5000 },
  );
  const tileAt = await sup.page.evaluate(() => (globalThis as unknown as { tileAt?: number }).tileAt ?? Date.now());
  const latency = tileAt - clickedAt;
  t.log(`wallboard: agent click → tile updated ${latency} ms`);
  t.true(latency < 1000, `wallboard took ${latency} ms`);
  t.is(await sup.page.locator('#t-hotline .as-idle .n').textContent(), String(Number(idleBefore) + 1));
  await sup.page.screenshot({ path: path.join(SHOTS, 'supervisor-wallboard.png'), fullPage: true });
  for (const [name, p] of [['supervisor-console', '/supervisor'], ['supervisor-reports', '/reports']] as const) {
    await sup.page.goto(`${base}${p}`);
    await sup.page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  lap('wallboard checked');
  // A real call: 1001 dials the hotline, keys the meter number into the IVR, is queued and offered to 1002.
  const agentUp = nextEvent(agentPhone, 'CALL_ESTABLISHED', 20_000);
  await caller.command('dial', rig.sipUri('95598'));
  await nextEvent(caller, 'CALL_ESTABLISHED', 10_000);
  await sleep(600);
  for (const d of `${METER}#`) {
    await caller.command('sndcode', d);
    await sleep(250);
  }
  await agent.page.waitForSelector('#pop .pop-card', { timeout: 15_000 });
  await agentUp;
  t.regex((await agent.page.locator('#pop-ivr-vars').textContent()) ?? '', new RegExp(`meter_no\\s*${METER}`));
  t.is(await agent.page.locator('#wo-f-meter_no').inputValue(), METER);
  await agent.page.locator('#pop-ivr-path li', { hasText: 'queue' }).waitFor({ timeout: 5000 });
  t.deepEqual(await agent.page.locator('#pop-ivr-path li').allTextContents(), ['meter', 'queue'], 'the IVR path the call really took');
  const callId = await agent.page.locator('#call-controls input[name="callId"]').inputValue();
  t.regex(callId, /^call/);
  await sleep(500);

  // Hold and resume act on the real call (the appliance holds the caller), then the work order.
  await agent.page.click('#cc-hold');
  await agent.page.locator('#call-result', { hasText: '已执行' }).waitFor({ timeout: 5000 });
  await agent.page.screenshot({ path: path.join(SHOTS, 'agent-desk-pop.png'), fullPage: true });
  await agent.page.click('#cc-unhold');
  await agent.page.locator('#call-result', { hasText: '已执行' }).waitFor({ timeout: 5000 });
  await agent.page.click('#wo-submit');
  await agent.page.waitForSelector('#wo-created', { timeout: 5000 });

  const callerClosed = nextEvent(caller, 'CALL_CLOSED', 10_000);
  const agentClosed = nextEvent(agentPhone, 'CALL_CLOSED', 10_000);
  await agent.page.click('#cc-hangup');
  await Promise.all([callerClosed, agentClosed]);
  const cdr = await rig.until('the CDR', () => rig.query<{ cause: number; caller: string; called: string }>('SELECT cause, caller, called FROM cdrs WHERE call_id = ?', callId)[0]);
  t.deepEqual(cdr, { cause: 16, caller: '1001', called: '95598' });
  const linked = rig.query<{ ref: string; meter: string }>(
    "SELECT l.ref, json_extract(w.fields, '$.meter_no') AS meter FROM workorder_links l JOIN workorders w ON w.id = l.order_id WHERE l.kind = 'call'",
  );
  t.deepEqual(linked, [{ ref: callId, meter: METER }], 'the work order is linked to the real call id (CDR)');
  const actions = rig.query<{ action: string }>("SELECT action FROM audit_log WHERE target = ? ORDER BY id", `call:${callId}`).map((r) => r.action);
  t.deepEqual(actions, ['call.hold', 'call.unhold', 'call.hangup']);

  lap('call done');
  // No permission: the page is a 403, and a post with the page's own token is refused too.
  const resp = await agent.page.goto(`${base}/admin/users`);
  t.is(resp?.status(), 403);
  t.is(await agent.page.locator('#users').count(), 0);
  await agent.page.screenshot({ path: path.join(SHOTS, 'agent-forbidden.png'), fullPage: true });
  const posted = await agent.page.evaluate(async () => {
    const d = (globalThis as unknown as { document: { body: { getAttribute(n: string): string | null } } }).document;
    const token = (JSON.parse(d.body.getAttribute('hx-headers') ?? '{}') as Record<string, string>)['X-CSRF-Token'] ?? '';
    const r = await fetch('/admin/users', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': token },
      body: 'login=sneaky&displayName=x&password=long-enough-password&roles=admin',
    });
    return r.status;
  });
  t.is(posted, 403);
  t.deepEqual(rig.query("SELECT id FROM panel_users WHERE login = 'sneaky'"), []);

  // The daemon's warnings reach the audit page's error-log export (ops/error-log.ts behind the root logger).
  const refused = nextEvent(caller, 'CALL_CLOSED', 10_000);
  await caller.command('dial', rig.sipUri('95590'));
  await refused;
  const exported = await adm.page.request.get(`${base}/admin/audit/errors.json?level=warn`);
  t.is(exported.status(), 200);
  const errorLog = (await exported.json()) as { records: Array<{ level: string; mod: string; msg: string; fields: Record<string, unknown> }> };
  t.true(
    errorLog.records.some((r) => r.level === 'warn' && r.msg === 'routed to an IVR flow that does not exist' && r.fields['flow'] === 'no-such-flow'),
    JSON.stringify(errorLog.records.map((r) => r.msg)),
  );
  t.is((await agent.page.request.get(`${base}/admin/audit/errors.csv`)).status(), 403, 'not for an agent');
  t.deepEqual([...adm.problems, ...sup.problems, ...agent.problems], [], 'no console errors (CSP violations show up here)');
});
