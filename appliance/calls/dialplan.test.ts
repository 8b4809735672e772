import test from 'ava';
import { compilePattern, matchRoute, RouteSchema, type Route } from './dialplan.js';

const route = (r: unknown): Route => RouteSchema.parse(r);

test('patterns: exact, X/Z/N, classes, trailing . and !', (t) => {
  t.true(compilePattern('95598').test('95598'));
  t.false(compilePattern('95598').test('955981'));
  t.true(compilePattern('_9559X').test('95598'));
  t.false(compilePattern('_9559X').test('9559'));
  t.true(compilePattern('_1[3-9]X.').test('13800138000'));
  t.false(compilePattern('_1[3-9]X.').test('12800138000'));
  t.true(compilePattern('_N!').test('2'));
  t.false(compilePattern('_Z').test('0'));
});

test('routes are matched by priority, DID then caller pattern; disabled ones skipped', (t) => {
  const routes = [
    route({ id: 'vip', name: 'VIP callers', priority: 10, did: '95598', caller: '_138.', target: { kind: 'queue', queue: 'vip' } }),
    route({ id: 'main', name: '95598', did: '95598', target: { kind: 'ivr', flow: 'hotline-95598' } }),
    route({ id: 'ext', name: 'direct', did: '_10XX', target: { kind: 'extension', extension: '1002' } }),
    route({ id: 'off', name: 'off', priority: 0, did: '_X.', target: { kind: 'extension', extension: '1009' }, enabled: false }),
  ];
  t.is(matchRoute(routes, '95598', '13800138000')?.id, 'vip');
  t.is(matchRoute(routes, '95598', '02150000000')?.id, 'main');
  t.is(matchRoute(routes, '1002', '1001')?.id, 'ext');
  t.is(matchRoute(routes, '8888', '1001'), null);
});

test('bad routes are refused naming the field', (t) => {
  const bad = RouteSchema.safeParse({ id: 'x', name: 'x', did: '_9.5', target: { kind: 'ivr', flow: 'f' } });
  t.false(bad.success);
  if (!bad.success) t.deepEqual(bad.error.issues[0]!.path, ['did']);
  const kind = RouteSchema.safeParse({ id: 'x', name: 'x', did: '1', target: { kind: 'voicemail', box: '1' } });
  t.false(kind.success);
  const ext = RouteSchema.safeParse({ id: 'x', name: 'x', did: '1', target: { kind: 'extension', extension: 'abc' } });
  t.false(ext.success);
  if (!ext.success) t.deepEqual(ext.error.issues[0]!.path, ['target', 'extension']);
  t.false(RouteSchema.safeParse({ id: 'x', name: 'x', did: 'abc', target: { kind: 'ivr', flow: 'f' } }).success);
});
