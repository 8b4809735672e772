import test from 'ava';
import { ConflictError, ValidationError } from '../core/errors.js';
import { KbForbiddenError } from './knowledge-service.js';
import { planQuery, snippet } from './search.js';
import { articles, editor, openKbRig, publishAll } from './testing/fixtures.js';

test('query planning: 3+ characters go to FTS, 1–2 characters to LIKE', (t) => {
  t.deepEqual(planQuery('阶梯电价'), { match: '"阶梯电价"', short: [], terms: ['阶梯电价'] });
  t.deepEqual(planQuery(' 电费  停电 '), { match: null, short: ['电费', '停电'], terms: ['电费', '停电'] });
  t.deepEqual(planQuery('智能电表 费'), { match: '"智能电表"', short: ['费'], terms: ['智能电表', '费'] });
  t.is(planQuery('say "hi"').match, '"say" AND """hi"""');
});

test('Chinese search: 2-character terms, 3+ character terms, mixed Chinese/English, ranking', async (t) => {
  const { svc, close } = openKbRig();
  const ids = publishAll(svc);
  const titles = (q: string, opts = {}): string[] => svc.search({ q, ...opts }).map((h) => h.title);

  // 电费: every article that mentions it; title match first.
  const fee = svc.search({ q: '电费' });
  t.deepEqual(fee.map((h) => h.id).sort(), [ids.tiered, ids.payment].sort());
  t.is(fee[0]?.id, ids.payment);
  t.deepEqual(titles('停电').sort(), [articles.outage.title, articles.payment.title].sort());
  t.is(titles('停电')[0], articles.outage.title);
  // 阶梯电价 (4 characters, trigram index).
  t.deepEqual(titles('阶梯电价'), [articles.tiered.title]);
  // Across word boundaries and inside words: 恢复送电 appears only in the outage article.
  t.deepEqual(titles('恢复送电'), [articles.outage.title]);
  t.deepEqual(titles('95598热线'), [articles.payment.title]);
  t.deepEqual(titles('smart meter'), [articles.meter.title]);
  t.deepEqual(titles('SMART 电表'), [articles.meter.title]);
  t.is(titles('电').length, 4);
  t.deepEqual(titles('停电 欠费'), [articles.payment.title]); // all terms must match
  t.deepEqual(titles('核电站'), []);
  // Ranking: a title hit beats a body hit.
  t.deepEqual(titles('电价')[0], articles.tiered.title);
  const both = svc.search({ q: '停电通知' });
  t.is(both[0]?.id, ids.outage);

  // Snippet and highlights point at the term.
  const h = svc.search({ q: '阶梯电价' })[0]!;
  t.true(h.highlights.length > 0);
  const [s, e] = h.highlights[0]!;
  t.is(h.snippet.slice(s, e), '阶梯电价');

  // Category subtree and visibility.
  t.deepEqual(titles('电费', { categoryId: 'business' }).sort(), [articles.tiered.title, articles.payment.title].sort());
  t.deepEqual(titles('停电', { visibility: 'public' }), [articles.payment.title]);
  t.throws(() => svc.search({ q: '   ' }), { instanceOf: ValidationError });
  await close();
});

test('drafts are invisible, edits of a published article stay hidden until published, hits count', async (t) => {
  const { svc, clock, close } = openKbRig();
  const a = svc.create({ title: '分时电价', body: '峰谷分时电价：高峰时段加价。' }, editor);
  t.deepEqual(svc.search({ q: '分时电价' }), []);
  const p = svc.publish(a.id, 1, editor);
  t.is(p.status, 'published');
  t.is(svc.search({ q: '分时电价' }).length, 1);

  const v2 = svc.update(a.id, { version: 1, body: '峰谷分时电价：低谷时段优惠，适合电动汽车充电。', note: '补充低谷' }, editor);
  t.is(v2.version, 2);
  t.is(v2.publishedVersion, 1);
  t.is(v2.body, '峰谷分时电价：高峰时段加价。'); // agents still see version 1
  t.deepEqual(svc.search({ q: '电动汽车' }), []);
  t.throws(() => svc.update(a.id, { version: 1, title: '旧版本上的修改' }, editor), { instanceOf: ConflictError });
  t.throws(() => svc.publish(a.id, 1, editor), { instanceOf: ConflictError });
  svc.publish(a.id, 2, editor);
  t.is(svc.search({ q: '电动汽车' })[0]?.id, a.id);
  t.deepEqual(svc.revisions(a.id).map((r) => [r.version, r.note]), [[1, ''], [2, '补充低谷']]);

  svc.get(a.id, { countHit: true });
  svc.get(a.id, { countHit: true });
  t.is(svc.get(a.id).hits, 2);
  t.is(svc.search({ q: '分时' })[0]?.hits, 2);

  // Validity dates: expired articles drop out of search.
  svc.update(a.id, { version: 2, validTo: clock.now() + 60_000 }, editor);
  t.is(svc.search({ q: '分时' }).length, 1);
  clock.advance(60_000);
  t.is(svc.search({ q: '分时' }).length, 0);
  await close();
});

test('department edit rights and validation naming every field', async (t) => {
  const { svc, close } = openKbRig();
  const marketing = { id: 'user:mk', roles: [], departmentIds: ['marketing'] };
  const metering = { id: 'user:mt', roles: [], departmentIds: ['metering'] };
  const a = svc.create({ title: '电能表校验', body: '校验流程……', departmentId: 'metering' }, metering);
  t.throws(() => svc.update(a.id, { version: 1, body: '改' }, marketing), { instanceOf: KbForbiddenError });
  t.throws(() => svc.create({ title: 'x', body: 'y', departmentId: 'metering' }, marketing), { instanceOf: KbForbiddenError });
  t.is(svc.update(a.id, { version: 1, body: '校验流程：受理、现场校验、出具报告。' }, metering).version, 2);
  const e = t.throws(() => svc.create({ title: '', body: '', tags: ['a b'], validFrom: 10, validTo: 5, categoryId: 'nope' } as never, editor), { instanceOf: ValidationError });
  t.deepEqual(e.issues.map((i) => i.path).sort(), ['body', 'tags.0', 'title', 'validTo']);
  t.deepEqual(snippet('abc', ['zz']), { text: 'abc', highlights: [] });
  await close();
});
