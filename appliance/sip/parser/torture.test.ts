/**
 * RFC 4475 torture messages, driven by testdata/torture/manifest.json. Outcome of each file:
 * a ParseError (answered 400 by the transaction layer when a Via is readable), a validation
 * failure with its status, or a valid message. The manifest's verdict and acceptable statuses
 * decide whether that outcome is right.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { ParseError } from '../../core/errors.js';
import { parseMessage } from './parse-message.js';
import { serializeMessage } from './serialize.js';
import { validateRequest, validateResponse } from './validate.js';

const dir = new URL('../testdata/torture/', import.meta.url);

interface Entry {
  name: string;
  file: string;
  category: string;
  verdict: 'accept' | 'reject' | 'drop';
  acceptable_final_status: number[];
  is_response: boolean;
  sha256: string;
}
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as { messages: Entry[] };

type Outcome = { kind: 'parse-error' } | { kind: 'invalid'; status: number } | { kind: 'valid' };

function outcome(buf: Buffer): Outcome {
  let msg;
  try {
    msg = parseMessage(buf);
  } catch (err) {
    if (err instanceof ParseError) return { kind: 'parse-error' };
    throw err;
  }
  if (msg.kind === 'response') return validateResponse(msg).ok ? { kind: 'valid' } : { kind: 'invalid', status: 0 };
  const v = validateRequest(msg);
  return v.ok ? { kind: 'valid' } : { kind: 'invalid', status: v.status };
}

/** A valid request is right when the UA's normal answers (2xx, a challenge, 404) are allowed. */
function validIsAcceptable(statuses: number[]): boolean {
  return statuses.some((s) => s < 300 || s === 401 || s === 404 || s === 407);
}

test('corpus files are byte-exact copies (sha256 from the manifest)', (t) => {
  t.is(manifest.messages.length, 50);
  for (const e of manifest.messages) {
    const sum = createHash('sha256').update(readFileSync(new URL(e.file, dir))).digest('hex');
    t.is(sum, e.sha256, e.file);
  }
});

for (const e of manifest.messages) {
  test(`${e.name} (${e.verdict}, ${e.category})`, (t) => {
    const buf = readFileSync(new URL(e.file, dir));
    const o = outcome(buf);
    if (e.verdict === 'accept') {
      t.not(o.kind, 'parse-error', 'accept messages must parse');
      if (o.kind === 'invalid') t.true(e.acceptable_final_status.includes(o.status), `status ${o.status}`);
      if (!e.is_response && o.kind === 'valid') t.true(validIsAcceptable(e.acceptable_final_status));
    } else if (e.verdict === 'reject') {
      t.false(e.is_response);
      if (o.kind === 'parse-error') t.true(e.acceptable_final_status.includes(400), 'a ParseError is answered 400');
      else if (o.kind === 'invalid') t.true(e.acceptable_final_status.includes(o.status), `status ${o.status}`);
      else t.fail('reject message validated as good');
    } else {
      // drop: malformed responses do not parse; well-formed ones (bcast) parse and are discarded upstream.
      if (e.category === 'semantic') t.is(o.kind, 'valid');
      else t.is(o.kind, 'parse-error');
    }
  });
}

test('every parseable torture message survives parse → serialize → parse unchanged', (t) => {
  let n = 0;
  for (const e of manifest.messages) {
    let msg;
    try {
      msg = parseMessage(readFileSync(new URL(e.file, dir)));
    } catch {
      continue;
    }
    const bytes = serializeMessage(msg);
    const again = parseMessage(bytes);
    t.deepEqual(serializeMessage(again), bytes, e.name);
    const keys = (m: typeof msg): string[] => m.headers.entries().map((h) => h.key).filter((k) => k !== 'content-length');
    t.deepEqual(keys(again), keys(msg), e.name);
    t.deepEqual(again.body, msg.body, e.name);
    n++;
  }
  t.is(n, 34);
});

test('expected statuses of the RFC 4475 invalid requests', (t) => {
  const statusOf = (name: string): number | 'parse-error' | 'valid' => {
    const o = outcome(readFileSync(new URL(`${name}.dat`, dir)));
    return o.kind === 'invalid' ? o.status : o.kind;
  };
  t.is(statusOf('badvers'), 505);
  t.is(statusOf('mismatch01'), 400);
  t.is(statusOf('insuf'), 400);
  t.is(statusOf('multi01'), 400);
  t.is(statusOf('escruri'), 400);
  t.is(statusOf('unkscm'), 416);
  t.is(statusOf('novelsc'), 416);
  t.is(statusOf('mcl01'), 'parse-error');
  t.is(statusOf('clerr'), 'parse-error');
  t.is(statusOf('ncl'), 'parse-error');
});
