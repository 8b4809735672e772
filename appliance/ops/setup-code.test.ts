import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import { openStore } from '../store/database.js';
import { consumeSetupCode, issueSetupCodeOnFirstStart, SETUP_CODE_KEY, verifySetupCode } from './setup-code.js';

function store() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'setup-code-'));
  const clock = new ManualClock();
  return { clock, store: openStore({ file: path.join(dir, 'a.db'), clock, log: silentLogger() }) };
}

test('issued once on first start, stored only as a hash', async (t) => {
  const { clock, store: s } = store();
  t.teardown(() => s.close());
  const code = issueSetupCodeOnFirstStart(s, clock);
  t.regex(code ?? '', /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  const row = s.sqlite.prepare('SELECT value FROM settings WHERE key = ?').get(SETUP_CODE_KEY) as { value: string };
  t.regex(row.value, /^scrypt\$/);
  t.false(row.value.includes(code!.replace(/-/g, '')));
  t.is(issueSetupCodeOnFirstStart(s, clock), null, 'second start prints nothing');
});

test('verify accepts the code (case and dashes ignored) and rejects others; consume uses it up', async (t) => {
  const { clock, store: s } = store();
  t.teardown(() => s.close());
  const code = issueSetupCodeOnFirstStart(s, clock)!;
  t.true(verifySetupCode(s, code));
  t.true(verifySetupCode(s, code.toLowerCase().replace(/-/g, '')));
  t.false(verifySetupCode(s, 'AAAA-BBBB-CCCC'));
  t.false(consumeSetupCode(s, 'AAAA-BBBB-CCCC', clock));
  t.true(consumeSetupCode(s, code, clock));
  t.false(verifySetupCode(s, code), 'one-time');
  t.is(issueSetupCodeOnFirstStart(s, clock), null, 'setup completed: no new code');
});
