/**
 * Issue 9 acceptance in a real browser (Debian's Chromium through playwright-core): an agent
 * and a supervisor side by side. The agent signs in and goes 示闲; the supervisor's wallboard
 * tile for the agent's queue changes within 1 s of the click (measured in the wallboard page
 * with a MutationObserver). A call arrives (the IVR's completion with its inputs, then the ACD
 * offer, as live-rig.ts plays them), the screen pop shows the IVR inputs, the agent presses a
 * call-control button (through the CallControl port) and creates a work order linked to the
 * call from the pop. An agent cannot see the user administration (no menu entry, 403 page) nor
 * post to it (403 with the page's own CSRF token, nothing created).
 *
 * Screenshots of each main page go to test-artifacts/screenshots/ (gitignored), named by page.
 */
import test from 'ava';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './testing/browser.js';
import { startLiveRig } from './testing/live-rig.js';
import { ADMIN_PASSWORD, addUser, setupAdmin, USER_PASSWORD } from './testing/panel-harness.js';

const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts', 'screenshots');

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

test('browser: agent goes 示闲 → supervisor wallboard updates < 1 s; call → pop with IVR inputs → call control → work order linked; no access without the permission; screenshots', async (t) => {
  mkdirSync(SHOTS, { recursive: true });
  const rig = await startLiveRig({ withIvr: true, withCallControl: true });
  const browser = await launchBrowser();
  t.teardown(async () => {
    await browser.close();
    await rig.close();
  });
  const h = rig.h;
  const admin = await setupAdmin(h);
  await addUser(h, admin, 'a1', ['agent'], { displayName: '坐席一' });
  await addUser(h, admin, 'sup1', ['supervisor'], { displayName: '班长甲' });
  const supId = (await h.panel.services.users.findByLogin('sup1'))!.id;
  await h.panel.services.users.update(supId, { departmentId: 'd1' }, { actor: 'test', ip: null });

  // Administrator's main pages.
  const adm = await signIn(browser, h.base, 'admin', ADMIN_PASSWORD);
  for (const [name, p] of [['admin-dashboard', '/'], ['admin-users', '/admin/users'], ['admin-sessions', '/admin/sessions'], ['admin-ivr', '/ivr']] as const) {
    await adm.page.goto(`${h.base}${p}`);
    await adm.page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  const sup = await signIn(browser, h.base, 'sup1', USER_PASSWORD);
  await sup.page.goto(`${h.base}/wallboard`);
  await sup.page.waitForSelector('#wallboard[data-sse="open"]', { timeout: 5000 });
  await sup.page.waitForSelector('#t-q1');
  await sup.page.evaluate(() => {
    const w = globalThis as unknown as { tileAt?: number; document: { querySelector(s: string): { parentNode: unknown } | null }; MutationObserver: new (cb: () => void) => { observe(n: unknown, o: object): void } };
    new w.MutationObserver(() => {
      w.tileAt ??= Date.now();
    }).observe(w.document.querySelector('#t-q1')!.parentNode, { childList: true, subtree: true, characterData: true });
  });
  const idleBefore = await sup.page.locator('#t-q1 .as-idle .n').textContent();

  const agent = await signIn(browser, h.base, 'a1', USER_PASSWORD);
  t.is(await agent.page.locator('nav a[data-fn="users"]').count(), 0, 'no menu entry for a function the role lacks');
  await agent.page.click('nav a[data-fn="agent-desktop"]');
  await agent.page.waitForSelector('#desk[data-sse="open"]', { timeout: 5000 });
  const clickedAt = Date.now();
  await agent.page.click('#go-available');
  await agent.page.waitForSelector('#desk-status[data-status="available"]', { timeout: 5000 });
  await sup.page.waitForFunction(
    (before) => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector('#t-q1 .as-idle .n')?.textContent !== before,
    idleBefore,
    { timeout: 5000 },
  );
  const tileAt = await sup.page.evaluate(() => (globalThis as unknown as { tileAt?: number }).tileAt ?? Date.now());
  const latency = tileAt - clickedAt;
  t.log(`wallboard: agent click → tile updated ${latency} ms`);
  t.true(latency < 1000, `wallboard took ${latency} ms`);
  t.is(await sup.page.locator('#t-q1 .as-idle .n').textContent(), String(Number(idleBefore) + 1));
  await sup.page.screenshot({ path: path.join(SHOTS, 'supervisor-wallboard.png'), fullPage: true });
  for (const [name, p] of [['supervisor-console', '/supervisor'], ['supervisor-reports', '/reports']] as const) {
    await sup.page.goto(`${h.base}${p}`);
    await sup.page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  // A call: the IVR collected the meter number; the ACD offers the call to a1.
  rig.callIn('call-b1', '13800138000', { vars: { meterNo: '3300112233', outage: '无计划停电' } });
  await agent.page.waitForSelector('#pop .pop-card', { timeout: 5000 });
  t.regex((await agent.page.locator('#pop-ivr-vars').textContent()) ?? '', /meterNo\s*3300112233/);
  t.is(await agent.page.locator('#wo-f-meterNo').inputValue(), '3300112233');
  await agent.page.click('#cc-hold');
  await agent.page.waitForSelector('#call-result', { timeout: 5000 });
  t.deepEqual(rig.callActions.map((a) => [a.agentId, a.callId, a.action]), [['a1', 'call-b1', 'hold']]);
  await agent.page.screenshot({ path: path.join(SHOTS, 'agent-desk-pop.png'), fullPage: true });
  await agent.page.click('#wo-submit');
  await agent.page.waitForSelector('#wo-created', { timeout: 5000 });
  const orders = rig.workOrders.ordersForCall('call-b1');
  t.is(orders.length, 1);

  // No permission: the page is a 403, and a post with the page's own token is refused too.
  const resp = await agent.page.goto(`${h.base}/admin/users`);
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
  t.is(await h.panel.services.users.findByLogin('sneaky'), null);
  t.deepEqual([...adm.problems, ...sup.problems, ...agent.problems], [], 'no console errors (CSP violations show up here)');
});
