import test from 'ava';
import { ErrorLog, teedLogger } from './error-log.js';

function sink(): { lines: string[]; write(s: string): void } {
  const lines: string[] = [];
  return { lines, write: (s: string) => void lines.push(s) };
}

test('teedLogger: stdout keeps its level; warn and above also go to the ring with their fields, credentials redacted', (t) => {
  const ring = new ErrorLog(10);
  const out = sink();
  const log = teedLogger('info', ring, out);
  const sip = log.child({ mod: 'sip.tx' });
  log.debug('not anywhere');
  log.info({ callId: 'c1' }, 'routed');
  sip.warn({ txKey: 'z9hG4bK1', password: 'hunter2' }, 'transaction timeout');
  log.error({ err: new Error('disk full') }, 'CDR write failed');
  t.is(out.lines.length, 3, 'info, warn, error on stdout');
  const recs = ring.records();
  t.deepEqual(
    recs.map((r) => [r.seq, r.level, r.mod, r.msg]),
    [
      [1, 'warn', 'sip.tx', 'transaction timeout'],
      [2, 'error', '', 'CDR write failed'],
    ],
  );
  t.is(recs[0]!.fields['txKey'], 'z9hG4bK1');
  t.is(recs[0]!.fields['password'], '[redacted]');
  t.regex(String((recs[1]!.fields['err'] as { message: string }).message), /disk full/);
  t.true(recs[0]!.at > 0 && Math.abs(recs[0]!.at - Date.now()) < 60_000, 'pino time kept as ms');
});

test('teedLogger at error: the ring still gets warnings, stdout does not; silent writes no stdout', (t) => {
  const ring = new ErrorLog();
  const out = sink();
  const log = teedLogger('error', ring, out);
  log.warn('w');
  log.error('e');
  t.is(out.lines.length, 1);
  t.deepEqual(ring.records().map((r) => r.msg), ['w', 'e']);
  const quiet = new ErrorLog();
  const out2 = sink();
  teedLogger('silent', quiet, out2).fatal('boom');
  t.is(out2.lines.length, 0);
  t.deepEqual(quiet.records().map((r) => [r.level, r.msg]), [['fatal', 'boom']]);
});

test('ErrorLog: bounded — the oldest go and are counted; junk lines and lower levels ignored', (t) => {
  const ring = new ErrorLog(3);
  for (let i = 1; i <= 5; i++) ring.write(`${JSON.stringify({ level: 50, time: i, msg: `e${i}` })}\n`);
  ring.write('not json\n');
  ring.write(`${JSON.stringify({ level: 30, time: 9, msg: 'info' })}\n`);
  t.deepEqual(ring.records().map((r) => [r.seq, r.msg, r.at]), [
    [3, 'e3', 3],
    [4, 'e4', 4],
    [5, 'e5', 5],
  ]);
  t.is(ring.dropped, 2);
  t.throws(() => new ErrorLog(0), { instanceOf: RangeError });
});
