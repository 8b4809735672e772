import test from 'ava';
import { Outbox } from './protocol.js';

test('Outbox: messages posted in one loop turn go out as one batch, in order; a single message goes alone', async (t) => {
  const sent: unknown[] = [];
  const box = new Outbox((m) => sent.push(m));
  box.post(1);
  box.post(2);
  box.post(3);
  t.deepEqual(sent, [], 'nothing before the turn ends');
  await new Promise((r) => setImmediate(r));
  t.deepEqual(sent, [[1, 2, 3]]);
  box.post(4);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(sent, [[1, 2, 3], 4], 'a lone message is not wrapped');
});

test('Outbox: flush sends what is queued at once, so a later direct message cannot overtake it', async (t) => {
  const sent: unknown[] = [];
  const box = new Outbox((m) => sent.push(m));
  box.post('a');
  box.post('b');
  box.flush();
  sent.push('shutdown');
  await new Promise((r) => setImmediate(r));
  t.deepEqual(sent, [['a', 'b'], 'shutdown'], 'and the scheduled flush finds nothing left');
});
