/**
 * appliance.example.yaml is the documented configuration: it must parse with parseConfig,
 * state the real defaults, and mention every key of ConfigSchema (optional keys without a
 * default as a commented example).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigSchema, parseConfig } from '../core/config.js';
import { REPO_ROOT } from './testing/daemon-harness.js';

const text = readFileSync(path.join(REPO_ROOT, 'appliance.example.yaml'), 'utf8');

/** Dotted paths of every property in a JSON schema. */
function schemaPaths(schema: Record<string, unknown>, prefix = ''): string[] {
  const props = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(props).flatMap(([k, v]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return v['type'] === 'object' && v['properties'] ? schemaPaths(v, p) : [p];
  });
}

function yamlPaths(v: unknown, prefix = ''): string[] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [prefix];
  return Object.entries(v).flatMap(([k, x]) => yamlPaths(x, prefix ? `${prefix}.${k}` : k));
}

test('the example parses with parseConfig', (t) => {
  t.notThrows(() => parseConfig({ text, dataDirOverride: null }));
});

test('the example states the defaults exactly', (t) => {
  t.deepEqual(parseConfig({ text, dataDirOverride: null }), parseConfig({ text: null, dataDirOverride: null }));
});

test('every config key is documented', (t) => {
  const keys = schemaPaths(z.toJSONSchema(ConfigSchema, { io: 'input' }) as Record<string, unknown>);
  t.true(keys.length > 20, `found ${keys.length} keys`);
  const present = new Set(yamlPaths(parse(text)));
  for (const key of keys) {
    const leaf = key.split('.').at(-1)!;
    const commented = new RegExp(`^\\s*#\\s*${leaf}:`, 'm').test(text);
    t.true(present.has(key) || commented, `${key} is not in appliance.example.yaml`);
  }
});
