import test from 'ava';
import type { Strategy } from './model.js';
import { pick, type Candidate, type StrategyQueueView } from './strategies.js';

const c = (agentId: string, o: Partial<Candidate> = {}): Candidate => ({
  agentId,
  penalty: 0,
  calls: 0,
  lastCallEndedAt: null,
  order: 0,
  skillScore: 0,
  ...o,
});
const view = (strategy: Strategy, o: Partial<StrategyQueueView> = {}): StrategyQueueView => ({
  strategy,
  rrLastOrder: null,
  random: () => 0.5,
  ...o,
});
const agents = [
  c('a', { order: 0, calls: 5, lastCallEndedAt: 3000, skillScore: 3 }),
  c('b', { order: 1, calls: 2, lastCallEndedAt: 1000, skillScore: 5 }),
  c('c', { order: 2, calls: 2, lastCallEndedAt: 2000, skillScore: 5 }),
  c('d', { order: 3, calls: 9, lastCallEndedAt: null, skillScore: 1 }),
];

test('ring-all rings every lowest-penalty candidate at once', (t) => {
  const p = pick([...agents, c('e', { order: 4, penalty: 1 })], view('ring-all'), 0);
  t.is(p.mode, 'parallel');
  t.deepEqual(p.agents, ['a', 'b', 'c', 'd']);
});

test('least-recent offers the agent whose last call ended longest ago; never-called first', (t) => {
  t.deepEqual(pick(agents, view('least-recent'), 10_000).agents, ['d', 'b', 'c', 'a']);
});

test('fewest-calls offers the agent with fewest calls, least recent breaking ties', (t) => {
  t.deepEqual(pick(agents, view('fewest-calls'), 0).agents, ['b', 'c', 'a', 'd']);
});

test('linear always starts from the first member in configured order', (t) => {
  t.deepEqual(pick([agents[2]!, agents[0]!, agents[3]!], view('linear', { rrLastOrder: 0 }), 0).agents, ['a', 'c', 'd']);
});

test('rr-memory continues after the member offered last and wraps around', (t) => {
  t.deepEqual(pick(agents, view('rr-memory'), 0).agents, ['a', 'b', 'c', 'd']);
  t.deepEqual(pick(agents, view('rr-memory', { rrLastOrder: 1 }), 0).agents, ['c', 'd', 'a', 'b']);
  t.deepEqual(pick(agents, view('rr-memory', { rrLastOrder: 3 }), 0).agents, ['a', 'b', 'c', 'd']);
});

test('random shuffles with the injected source (repeatable, and every agent can come first)', (t) => {
  const seq = [0.1, 0.9, 0.3];
  let i = 0;
  const first = pick(agents, view('random', { random: () => seq[i++ % seq.length]! }), 0).agents;
  i = 0;
  t.deepEqual(pick(agents, view('random', { random: () => seq[i++ % seq.length]! }), 0).agents, first);
  t.is(new Set(first).size, 4);
  const firsts = new Set<string>();
  for (const r of [0, 0.26, 0.51, 0.76, 0.99]) firsts.add(pick(agents, view('random', { random: () => r }), 0).agents[0]!);
  t.true(firsts.size >= 2);
});

test('skills-based offers the highest proficiency, then the least recent', (t) => {
  t.deepEqual(pick(agents, view('skills-based'), 0).agents, ['b', 'c', 'a', 'd']);
});

test('a higher penalty is only offered when no lower-penalty candidate exists', (t) => {
  const list = [c('x', { penalty: 2, order: 0 }), c('y', { penalty: 1, order: 1 }), c('z', { penalty: 1, order: 2 })];
  for (const s of ['linear', 'least-recent', 'fewest-calls', 'rr-memory', 'random', 'skills-based'] as const)
    t.false(pick(list, view(s), 0).agents.includes('x'), s);
  t.deepEqual(pick([c('x', { penalty: 2 })], view('linear'), 0).agents, ['x']);
  t.deepEqual(pick([], view('linear'), 0).agents, []);
});
