import test from 'ava';
import { renderStatusPage } from './status-page.js';

test('status page shows the zh-CN title, state and links', (t) => {
  const out = renderStatusPage({ name: 'hotline', version: '0.1.0', state: () => 'ready', startedAt: 0 });
  t.true(out.startsWith('<!doctype html>'));
  t.regex(out, /<h1>热线一体机 控制台<\/h1>/);
  t.regex(out, /<html lang="zh-CN">/);
  t.regex(out, /id="state">运行中 \/ ready</);
  t.regex(out, /href="\/healthz"/);
  t.regex(out, /href="\/api\/v1\/openapi.json"/);
});

test('status page escapes the configured name', (t) => {
  const out = renderStatusPage({
    name: '<img src=x onerror=alert(1)>',
    version: '1',
    state: () => 'draining',
    startedAt: 0,
  });
  t.false(out.includes('<img'));
  t.regex(out, /&lt;img src=x onerror=alert\(1\)&gt;/);
  t.regex(out, /正在停机/);
});
