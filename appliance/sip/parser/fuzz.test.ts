/**
 * Mutation fuzzing of the parser: a seeded PRNG (deterministic, so failures reproduce) mutates the
 * RFC 4475 corpus and a few typical messages with byte flips, inserts, deletions, truncations,
 * splices and header duplication, and runs parse → validate → serialize → parse. Contract: the
 * only exception ever thrown is ParseError, and no single input takes more than 50 ms.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { ParseError } from '../../core/errors.js';
import { parseMessage } from './parse-message.js';
import { serializeMessage } from './serialize.js';
import { StreamFramer } from './stream-framer.js';
import { validateRequest, validateResponse } from './validate.js';

const dir = new URL('../testdata/torture/', import.meta.url);
const corpus = readdirSync(dir)
  .filter((f) => f.endsWith('.dat'))
  .map((f) => readFileSync(new URL(f, dir)));

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = ['\r\n', ' ', ':', ';', ',', '"', '\\', '<', '>', '@', '[', ']', '%', '%0', '=', '\r\n ', '\0', '\xff', 'SIP/2.0', 'z9hG4bK', '99999999999999999999', '-1', 'Content-Length: 5\r\n', 'Via: SIP/2.0/UDP [::1\r\n'].map((s) =>
  Buffer.from(s, 'latin1'),
);

function mutate(src: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(src);
  const n = 1 + Math.floor(rnd() * 4);
  const pick = (max: number): number => Math.floor(rnd() * Math.max(1, max));
  for (let k = 0; k < n; k++) {
    const op = pick(7);
    const at = pick(b.length);
    if (op === 0 && b.length > 0) b[at] = pick(256);
    else if (op === 1) b = Buffer.concat([b.subarray(0, at), INTERESTING[pick(INTERESTING.length)] ?? Buffer.alloc(0), b.subarray(at)]);
    else if (op === 2) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + pick(16))]);
    else if (op === 3) b = b.subarray(0, at);
    else if (op === 4) {
      // duplicate a header line
      const text = b.toString('latin1');
      const lines = text.split('\r\n');
      const i = 1 + pick(Math.max(1, lines.length - 2));
      lines.splice(i, 0, lines[i] ?? '');
      b = Buffer.from(lines.join('\r\n'), 'latin1');
    } else if (op === 5) {
      const other = corpus[pick(corpus.length)] ?? Buffer.alloc(0);
      const from = pick(other.length);
      b = Buffer.concat([b.subarray(0, at), other.subarray(from, from + pick(200))]);
    } else if (b.length > 0) b[at] = (b[at] ?? 0) ^ (1 << pick(8));
  }
  return b;
}

function exercise(buf: Buffer): void {
  let msg;
  try {
    msg = parseMessage(buf);
  } catch (err) {
    if (err instanceof ParseError) return;
    throw err;
  }
  if (msg.kind === 'request') validateRequest(msg);
  else validateResponse(msg);
  // Everything that parsed must serialize and parse again.
  parseMessage(serializeMessage(msg));
}

const EXECUTIONS = 100_000;

test(`mutation fuzz: ${EXECUTIONS} inputs, only ParseError escapes, none slower than 50 ms`, (t) => {
  const rnd = prng(0x5eed4475);
  let worst = 0;
  let worstInput: Buffer | null = null;
  const started = performance.now();
  for (let i = 0; i < EXECUTIONS; i++) {
    const input = mutate(corpus[i % corpus.length] ?? Buffer.alloc(0), rnd);
    const t0 = performance.now();
    try {
      exercise(input);
    } catch (err) {
      t.fail(`input #${i} threw ${String(err)}: ${JSON.stringify(input.toString('latin1'))}`);
      return;
    }
    let dt = performance.now() - t0;
    if (dt > 50) {
      // A GC pause or JIT tier-up is not the input's cost: re-time it alone, best of three.
      for (let r = 0; r < 3; r++) {
        const t1 = performance.now();
        exercise(input);
        dt = Math.min(dt, performance.now() - t1);
      }
    }
    if (dt > worst) {
      worst = dt;
      worstInput = input;
    }
  }
  const secs = (performance.now() - started) / 1000;
  t.log(`${EXECUTIONS} executions in ${secs.toFixed(2)} s = ${Math.round(EXECUTIONS / secs)} exec/s; slowest ${worst.toFixed(2)} ms`);
  t.true(worst < 50, `slowest input took ${worst.toFixed(1)} ms: ${JSON.stringify(worstInput?.toString('latin1').slice(0, 200))}`);
});

test('stream framer under mutation: only ParseError, bounded buffer', (t) => {
  const rnd = prng(42);
  for (let i = 0; i < 5_000; i++) {
    const f = new StreamFramer();
    const input = mutate(Buffer.concat([corpus[i % corpus.length] ?? Buffer.alloc(0), corpus[(i * 7) % corpus.length] ?? Buffer.alloc(0)]), rnd);
    try {
      for (let off = 0; off < input.length; off += 1 + Math.floor(rnd() * 300)) {
        for (const m of f.push(input.subarray(off, off + 1 + Math.floor(rnd() * 300))).messages) exercise(m);
      }
    } catch (err) {
      if (!(err instanceof ParseError)) {
        t.fail(`framer input #${i} threw ${String(err)}`);
        return;
      }
    }
    t.true(f.buffered <= 70 * 1024);
  }
});

test('pathological inputs stay fast: long folds, many commas, deep quotes', (t) => {
  const cases = [
    Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nSubject: x${'\r\n y'.repeat(15000)}\r\n\r\n`),
    Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nSupported: ${'a,'.repeat(30000)}a\r\n\r\n`),
    Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nFrom: "${'\\"'.repeat(30000)}" <sip:a@b>\r\n\r\n`),
    Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nContact: <sip:a@b>${';p'.repeat(20000)}\r\n\r\n`),
    Buffer.from(`OPTIONS sip:${'a'.repeat(60000)}@b SIP/2.0\r\n\r\n`),
    Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\n${'X: y\r\n'.repeat(10000)}\r\n`),
  ];
  for (const c of cases) {
    const t0 = performance.now();
    t.notThrows(() => exercise(c));
    t.true(performance.now() - t0 < 50, `${(performance.now() - t0).toFixed(1)} ms`);
  }
});
