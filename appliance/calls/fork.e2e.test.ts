/**
 * Parallel forking with real phones: extension 1002 is registered from two baresip UAs (a desk
 * phone and a softphone on one AOR); 1001 calls 1002, both ring, the one that answers wins and
 * the other gets a CANCEL (RFC 3261 §16.7 step 10 at the B2BUA, calls/fork.ts). The CDR holds the
 * caller's leg and the winning leg only.
 */
import test from 'ava';
import path from 'node:path';
import { tempDir } from '../core/testing/temp-dir.js';
import { haveBaresip } from '../daemon/testing/baresip-phone.js';
import { startCallStack } from '../daemon/testing/sip-call-stack.js';
import { sleep, until } from '../daemon/testing/wait.js';
import type { CdrRecord } from './call-store.js';
import { writeToneWav } from './testing/baresip.js';

const serial = haveBaresip ? test.serial : test.serial.skip;

serial('1002 registered twice: both ring, the answering phone wins, the other is cancelled; CDR has two legs', async (t) => {
  const dir = tempDir('fork-');
  const prompt = path.join(dir, 'silence.wav');
  writeToneWav(prompt, 0, 0, 400);
  const stack = await startCallStack({ dir, phones: 3, rtpPorts: 24, extensions: ['1001', '1002'], directRoutes: ['1002'], prompts: { resolve: () => prompt } });
  t.teardown(() => stack.close());
  const tone = { freq: 1000, toneMs: 30_000, silenceMs: 3_000 };
  const [a, desk, soft] = await Promise.all([
    stack.phone({ name: 'a', user: '1001', tone, answer: false }),
    stack.phone({ name: 'desk', user: '1002', tone, answer: false }),
    stack.phone({ name: 'soft', user: '1002', tone, answer: true }),
  ]);
  await until('two contacts for 1002', () => stack.access.registrar.locate('1002').length === 2 && stack.access.registrar.locate('1001').length === 1);

  const cdr = new Promise<CdrRecord>((resolve) => stack.bus.on('call.cdr.written', (e) => resolve(stack.store.cdr((e.payload as { callId: string }).callId)!)));
  await a.command('dial', stack.uri('1002'));
  await desk.waitEvent('CALL_INCOMING', 10_000);
  await soft.waitEvent('CALL_ESTABLISHED', 10_000);
  await a.waitEvent('CALL_ESTABLISHED', 10_000);
  const closed = await desk.waitEvent('CALL_CLOSED', 10_000);
  t.log(`the desk phone's ringing call closed: ${String(closed.param)}`);
  t.false(desk.events.some((e) => e.type === 'CALL_ESTABLISHED'), 'the losing branch never connected');
  await sleep(500);
  await a.command('hangup');
  const record = await cdr;
  t.is(record.legs.length, 2);
  t.deepEqual(record.legs.map((l) => [l.direction, l.party, l.answeredAt !== null]), [['inbound', '1001', true], ['outbound', '1002', true]]);
  await until('the call is over', () => stack.handler.active() === 0, 5000);
});
