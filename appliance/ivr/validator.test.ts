import { readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { FlowValidationError } from './errors.js';
import { validationCatalogue } from './testing/fakes.js';
import { assertValidFlow, checkFlow, parseFlow } from './validator.js';

const dir = new URL('./testdata/', import.meta.url);
const read = (rel: string): unknown => JSON.parse(readFileSync(new URL(rel, dir), 'utf8'));
const catalogue = validationCatalogue(read('catalogue.json') as Parameters<typeof validationCatalogue>[0]);

for (const file of readdirSync(new URL('good/', dir)).filter((f) => f.endsWith('.json'))) {
  test(`good/${file} validates with no problems`, (t) => {
    const { flow, problems } = checkFlow(read(`good/${file}`), catalogue);
    t.deepEqual(problems, []);
    t.truthy(flow);
  });
}

for (const file of readdirSync(new URL('bad/', dir)).filter((f) => f.endsWith('.json'))) {
  test(`bad/${file} is refused naming the node and field`, (t) => {
    const { expect, flow } = read(`bad/${file}`) as { expect: Array<{ node: string | null; field: string; code: string }>; flow: unknown };
    const { problems } = checkFlow(flow, catalogue);
    t.deepEqual(
      problems.map((p) => ({ node: p.node, field: p.field, code: p.code })),
      expect,
    );
    for (const p of problems) t.true(p.message.length > 0);
    const err = t.throws(() => assertValidFlow(flow, catalogue), { instanceOf: FlowValidationError });
    t.is(err?.code, 'VALIDATION');
    t.deepEqual(err?.problems, problems);
  });
}

test('FlowValidationError issues carry a dotted path to the field', (t) => {
  const err = t.throws(() => parseFlow({ id: 'x', name: 'x', start: 'm', nodes: { m: { verb: 'menu', prompt: [], options: { '1': 'm' }, onFail: 'm' } } }), {
    instanceOf: FlowValidationError,
  });
  t.deepEqual(err?.issues.map((i) => i.path), ['nodes.m.prompt']);
});

test('defaults are filled in by the schema', (t) => {
  const flow = parseFlow({ id: 'x', name: 'x', start: 'm', nodes: { m: { verb: 'menu', prompt: ['p'], options: { '1': 'm' }, onFail: 'm' } } });
  const m = flow.nodes.m;
  t.is(flow.lang, 'zh');
  t.is(flow.version, 1);
  t.like(m, { timeoutMs: 5000, retries: 2, invalidPrompt: [], timeoutPrompt: [] });
});

test('a say node needs the say prompt set of its language in the catalogue', (t) => {
  const thin = { ...catalogue, prompts: { has: (n: string) => n === 'goodbye' } };
  const { problems } = checkFlow(
    { id: 'x', name: 'x', start: 's', nodes: { s: { verb: 'say', kind: 'number', value: '5', lang: 'en', next: 'e' }, e: { verb: 'hangup', prompt: ['goodbye'] } } },
    thin,
  );
  t.deepEqual(problems.map((p) => [p.node, p.field, p.code]), [['s', 'kind', 'missing-prompt']]);
  t.regex(problems[0]!.message, /\(en\): digit-0/);
});

test('a loop the caller can leave by a menu key is not a loop without exit', (t) => {
  const { problems } = checkFlow(
    {
      id: 'x',
      name: 'x',
      start: 'm',
      nodes: {
        m: { verb: 'menu', prompt: ['main-menu'], options: { '1': 'p', '0': 'end' }, onFail: 'p' },
        p: { verb: 'play', prompts: ['welcome'], next: 'm' },
        end: { verb: 'hangup' },
      },
    },
    catalogue,
  );
  t.deepEqual(problems, []);
});
