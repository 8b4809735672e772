import test from 'ava';
import { WaitingList, type Waiting } from './waiting-list.js';

const w = (id: string, priority: number, placeAt: number, seq: number): Waiting => ({ id, priority, placeAt, seq });

test('higher priority is served first and FIFO holds within a priority', (t) => {
  const list = new WaitingList<Waiting>();
  list.insert(w('std-1', 0, 100, 1));
  list.insert(w('vip-1', 20, 300, 2));
  list.insert(w('std-2', 0, 200, 3));
  list.insert(w('crit-1', 30, 400, 4));
  list.insert(w('vip-2', 20, 250, 5));
  list.insert(w('std-0', 0, 100, 0));
  t.deepEqual(
    list.list().map((x) => x.id),
    ['crit-1', 'vip-2', 'vip-1', 'std-0', 'std-1', 'std-2'],
  );
  t.is(list.position('std-1'), 5);
  t.is(list.position('nobody'), 0);
  t.is(list.remove('vip-2')?.id, 'vip-2');
  t.is(list.position('std-1'), 4);
  t.is(list.head()?.id, 'crit-1');
});

test('same-millisecond arrivals keep arrival order', (t) => {
  const list = new WaitingList<Waiting>();
  for (let i = 0; i < 50; i++) list.insert(w(`c${i}`, i % 2 === 0 ? 0 : 10, 1000, i));
  const ids = list.list().map((x) => x.id);
  const vips = ids.slice(0, 25).map((x) => Number(x.slice(1)));
  const std = ids.slice(25).map((x) => Number(x.slice(1)));
  t.deepEqual(vips, [...vips].sort((a, b) => a - b));
  t.deepEqual(std, [...std].sort((a, b) => a - b));
  t.true(vips.every((n) => n % 2 === 1));
});

test('position and remove by id agree with the service order over a long line with equal priorities and entry times', (t) => {
  const list = new WaitingList<{ id: string; priority: number; placeAt: number; seq: number }>();
  let r = 7;
  const rnd = (n: number): number => ((r = (r * 1103515245 + 12345) % 2147483648) % n);
  const all: Array<{ id: string; priority: number; placeAt: number; seq: number }> = [];
  for (let i = 0; i < 1000; i++) {
    const item = { id: `c${i}`, priority: rnd(3), placeAt: rnd(50), seq: i };
    all.push(item);
    list.insert(item);
  }
  const expected = [...all].sort((a, b) => b.priority - a.priority || a.placeAt - b.placeAt || a.seq - b.seq).map((x) => x.id);
  t.deepEqual(list.list().map((x) => x.id), expected);
  for (const id of ['c0', 'c499', 'c999']) t.is(list.position(id), expected.indexOf(id) + 1);
  for (let i = 0; i < 1000; i += 2) t.is(list.remove(`c${i}`)?.id, `c${i}`);
  t.is(list.remove('c0'), undefined);
  t.is(list.position('c0'), 0);
  const left = expected.filter((id) => Number(id.slice(1)) % 2 === 1);
  t.deepEqual(list.list().map((x) => x.id), left);
  for (const id of ['c1', 'c501', 'c999']) t.is(list.position(id), left.indexOf(id) + 1);
});
