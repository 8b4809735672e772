import test from 'ava';
import { z } from 'zod';
import { readJsonConfig } from './json-config.js';

const Schema = z.object({ name: z.string().min(1), ports: z.array(z.number().int().max(65_535)).default([]) }).strict();

test('valid JSON is parsed by the schema, defaults applied', (t) => {
  t.deepEqual(readJsonConfig(Schema, 'things.a', '{"name":"a"}'), { ok: true, value: { name: 'a', ports: [] } });
});

test('not JSON: one issue at the row', (t) => {
  t.deepEqual(readJsonConfig(Schema, 'things.b', '{name'), { ok: false, issues: [{ path: 'things.b', message: 'config is not JSON' }] });
});

test('schema failures name the row and the field, nested paths joined by dots', (t) => {
  const r = readJsonConfig(Schema, 'things.c', JSON.stringify({ name: '', ports: [80, 70_000] }));
  t.false(r.ok);
  if (!r.ok) t.deepEqual(r.issues.map((i) => i.path), ['things.c.name', 'things.c.ports.1']);
});
