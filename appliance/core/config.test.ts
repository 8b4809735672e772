import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configSourceFromEnv, formatIssues, loadConfig, parseConfig } from './config.js';
import { ConfigError } from './errors.js';

function issuesOf(text: string): string[] {
  try {
    parseConfig({ text, dataDirOverride: null });
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

test('embedded defaults: SQLite under var/, SIP 127.0.0.1:5060, web 127.0.0.1:8080, simulated card', (t) => {
  const c = parseConfig({ text: null, dataDirOverride: null });
  t.is(c.sip.host, '127.0.0.1');
  t.is(c.sip.port, 5060);
  t.is(c.http.port, 8080);
  t.is(c.card.driver, 'sim');
  t.true(path.isAbsolute(c.dataDir));
  t.is(path.basename(c.dataDir), 'var');
});

test('wrong type is named by path with the value found', (t) => {
  t.deepEqual(issuesOf('sip:\n  port: abc\n'), ['sip.port: expected number, got "abc"']);
});

test('every problem is listed, not just the first', (t) => {
  const issues = issuesOf('sip:\n  port: abc\n  prot: 1\nhttp:\n  port: 70000\nbogus: true\n');
  t.is(issues.length, 4);
  t.true(issues.includes('sip.prot: unknown key'));
  t.true(issues.includes('bogus: unknown key'));
  t.true(issues.some((i) => i.startsWith('http.port:')));
  t.true(issues.includes('sip.port: expected number, got "abc"'));
});

test('malformed YAML names the line', (t) => {
  const issues = issuesOf('sip:\n  port: 5060\n   host: [x\n');
  t.true(issues.length >= 1);
  t.regex(issues[0] ?? '', /line \d+/);
});

test('duplicate keys are rejected', (t) => {
  t.true(issuesOf('sip:\n  port: 1\n  port: 2\n').length >= 1);
});

test('enum and cross-field checks', (t) => {
  t.regex(issuesOf('log:\n  level: loud\n')[0] ?? '', /^log\.level: /);
  t.deepEqual(issuesOf('media:\n  rtpPortMin: 30000\n  rtpPortMax: 100\n'), [
    'media.rtpPortMin: rtpPortMin must be below rtpPortMax',
  ]);
});

test('environment: APPLIANCE_CONFIG and APPLIANCE_DATA_DIR override', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  const file = path.join(dir, 'appliance.yaml');
  writeFileSync(file, 'http:\n  port: 18080\ndataDir: /nonexistent/from-file\n');
  const c = loadConfig({ APPLIANCE_CONFIG: file, APPLIANCE_DATA_DIR: path.join(dir, 'data') });
  t.is(c.http.port, 18080);
  t.is(c.dataDir, path.join(dir, 'data'));
});

test('a missing config file is a ConfigError naming the file', (t) => {
  const err = t.throws(() => configSourceFromEnv({ APPLIANCE_CONFIG: '/nonexistent/appliance.yaml' }), {
    instanceOf: ConfigError,
  });
  t.regex(formatIssues(err?.issues ?? []), /\/nonexistent\/appliance\.yaml: ENOENT/);
});
