import test from 'ava';
import { Writable } from 'node:stream';
import { createLogger } from './log.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('credentials are redacted, other fields kept, module children tagged', (t) => {
  const out = capture();
  const log = createLogger('info', out.stream).child({ mod: 'sip.registrar' });
  log.info({ user: '1001', password: 'hunter2', req: { headers: { authorization: 'Digest x', cookie: 'sid=1' } } }, 'register');
  const [line] = out.lines();
  t.is(line?.['mod'], 'sip.registrar');
  t.is(line?.['user'], '1001');
  t.is(line?.['password'], '[redacted]');
  const req = line?.['req'] as { headers: Record<string, string> };
  t.is(req.headers['authorization'], '[redacted]');
  t.is(req.headers['cookie'], '[redacted]');
  t.false(JSON.stringify(line).includes('hunter2'));
});

test('level filters', (t) => {
  const out = capture();
  const log = createLogger('warn', out.stream);
  log.info('hidden');
  log.warn('shown');
  t.deepEqual(out.lines().map((l) => l['msg']), ['shown']);
});
