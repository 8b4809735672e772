/**
 * The agent desktop in a real browser (issue 9 acceptance: "an agent signs in, goes available,
 * a call arrives … and the screen pop shows the IVR inputs"): Debian's Chromium through
 * playwright-core. The agent signs in, presses 示闲 (the ACD sees them available), a caller is
 * enqueued → the ACD publishes `acd.offer.created` → the pop card appears over SSE. The time
 * from publish to the card in the DOM is measured with a MutationObserver in the page and
 * logged (must be < 1 s). The caller's customer name is an XSS payload and must stay inert.
 * Screenshot: $TMPDIR/panel-artifacts/10-desk-pop.png.
 */
import test from 'ava';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser } from './testing/browser.js';
import { startLiveRig } from './testing/live-rig.js';
import { addUser, setupAdmin, USER_PASSWORD } from './testing/panel-harness.js';

const ARTIFACTS = path.join(os.tmpdir(), 'panel-artifacts');

test('browser: agent signs in, goes 示闲, an offer is published → the screen pop appears in < 1 s', async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const rig = await startLiveRig();
  const browser = await launchBrowser();
  t.teardown(async () => {
    await browser.close();
    await rig.close();
  });
  const admin = await setupAdmin(rig.h);
  await addUser(rig.h, admin, 'a1', ['agent'], { displayName: '坐席一' });
  rig.customers.set('13800138000', [{ customerId: 'cust-1', name: '<img src=x onerror="document.title=1">张三', tier: 'vip' }]);

  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${rig.h.base}/login`);
  await page.fill('#f-login', 'a1');
  await page.fill('#f-password', USER_PASSWORD);
  await page.click('#login-submit');
  await page.waitForURL(`${rig.h.base}/`);
  await page.click('nav a[data-fn="agent-desktop"]');
  await page.waitForSelector('#desk[data-sse="open"]', { timeout: 5000 });
  await page.click('#go-available');
  await page.waitForSelector('#desk-status[data-status="available"]', { timeout: 5000 });
  t.is(rig.acd.agentSnapshot('a1').status, 'available');

  await page.evaluate(() => {
    const w = globalThis as unknown as { popAt?: number; document: { querySelector(s: string): unknown; body: unknown }; MutationObserver: new (cb: () => void) => { observe(n: unknown, o: object): void } };
    new w.MutationObserver(() => {
      if (w.popAt === undefined && w.document.querySelector('#pop .pop-card')) w.popAt = Date.now();
    }).observe(w.document.body, { childList: true, subtree: true });
  });
  const publishedAt = Date.now();
  rig.callIn('call-1', '13800138000', { vars: { meterNo: '3300112233', outage: '无计划停电' } });
  await page.waitForSelector('#pop .pop-card', { timeout: 5000 });
  const popAt = await page.evaluate(() => (globalThis as unknown as { popAt?: number }).popAt ?? Date.now());
  const latency = popAt - publishedAt;
  t.log(`screen pop: publish → DOM ${latency} ms`);
  t.true(latency < 1000, `screen pop took ${latency} ms`);

  t.is(await page.locator('#pop-number').textContent(), '13800138000');
  t.is((await page.locator('#pop-customer').textContent())?.trim(), '<img src=x onerror="document.title=1">张三');
  t.is(await page.locator('#pop-customer img').count(), 0);
  t.not(await page.title(), '1');
  t.is(await page.locator('#pop-tier').textContent(), 'VIP');
  t.regex((await page.locator('#pop-ivr-vars').textContent()) ?? '', /meterNo3300112233/);
  t.is(await page.locator('#wo-f-meterNo').inputValue(), '3300112233');
  t.true(await page.locator('#cc-answer').isDisabled());
  await page.screenshot({ path: path.join(ARTIFACTS, '10-desk-pop.png'), fullPage: true });

  // The work order form inside the pushed fragment works (htmx processed it): create it, linked to the call.
  await page.click('#wo-submit');
  await page.waitForSelector('#wo-created', { timeout: 5000 });
  t.is(rig.workOrders.ordersForCall('call-1').length, 1);
  t.deepEqual(problems, [], 'no console errors (CSP violations show up here)');
});
