/**
 * One real-browser pass over the security foundation (issue 9 acceptance: "administrator
 * first-run password"): Debian's Chromium through playwright-core. First-start setup with the
 * daemon's code → sign in → the dashboard in Chinese → htmx navigation (CSRF header from
 * hx-headers, CSP intact, eval off) → sign out. Screenshots go to $TMPDIR/panel-artifacts.
 */
import test from 'ava';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser } from './testing/browser.js';
import { ADMIN_PASSWORD, startPanel } from './testing/panel-harness.js';

const ARTIFACTS = path.join(os.tmpdir(), 'panel-artifacts');

test('browser: first-start setup with the code → login → dashboard in Chinese → htmx navigation → logout', async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const h = await startPanel();
  const browser = await launchBrowser();
  t.teardown(async () => {
    await browser.close();
    await h.close();
  });
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));

  await page.goto(`${h.base}/`);
  t.true(page.url().endsWith('/setup'));
  t.is(await page.locator('h1').textContent(), '首次启动设置');
  await page.screenshot({ path: path.join(ARTIFACTS, '01-setup.png') });
  await page.fill('#f-code', h.setupCode.toLowerCase()); // codes are case-insensitive
  await page.fill('#f-password', ADMIN_PASSWORD);
  await page.fill('#f-confirm', ADMIN_PASSWORD);
  await page.click('#setup-submit');
  await page.waitForURL('**/login?setup=1');
  t.is(await page.locator('#login-message').textContent(), '设置已完成，请登录');

  await page.fill('#f-login', 'admin');
  await page.fill('#f-password', ADMIN_PASSWORD);
  await page.screenshot({ path: path.join(ARTIFACTS, '02-login.png') });
  await page.click('#login-submit');
  await page.waitForURL(`${h.base}/`);
  t.is(await page.locator('#welcome').textContent(), '欢迎，系统管理员');
  t.is(await page.locator('html').getAttribute('lang'), 'zh-CN');
  t.is(await page.locator('nav a[data-fn="users"]').textContent(), '用户管理');
  await page.screenshot({ path: path.join(ARTIFACTS, '03-dashboard.png') });
  const cookies = await page.context().cookies();
  const sid = cookies.find((c) => c.name === 'sid');
  t.truthy(sid);
  t.true(sid!.httpOnly);
  t.is(sid!.sameSite, 'Strict');

  // htmx is ours, configured safe, and navigation swaps #main only.
  const config = await page.evaluate(() => {
    const w = (globalThis as unknown as { htmx?: { config: Record<string, unknown> } });
    return w.htmx ? { allowEval: w.htmx.config['allowEval'], selfRequestsOnly: w.htmx.config['selfRequestsOnly'] } : null;
  });
  t.deepEqual(config, { allowEval: false, selfRequestsOnly: true });
  await page.click('nav a[data-fn="users"]');
  await page.waitForSelector('#users');
  t.true(page.url().endsWith('/admin/users'));
  t.is(await page.locator('header').count(), 1); // fragment swapped into the page, not a new page

  // An htmx POST carries the CSRF header from <body hx-headers>: create a user in place.
  await page.fill('#f-login', 'agent01');
  await page.fill('#f-displayName', '王五');
  await page.fill('#f-password', 'temporary-pass-1');
  await page.check('#create-user input[value="agent"]');
  await page.click('#create-user-submit');
  await page.waitForSelector('tr[data-login="agent01"]');
  t.regex((await page.locator('tr[data-login="agent01"]').textContent()) ?? '', /王五/);
  await page.screenshot({ path: path.join(ARTIFACTS, '04-users.png') });

  await page.click('#logout');
  await page.waitForURL('**/login?bye=1');
  t.is(await page.locator('#login-message').textContent(), '已退出登录');
  await page.goto(`${h.base}/admin/users`);
  t.true(page.url().includes('/login'));
  t.deepEqual(problems, [], 'no console errors (CSP violations show up here)');
});
