import test from 'ava';
import { readFileSync } from 'node:fs';
import { ParseError } from '../../core/errors.js';
import { MAX_MESSAGE_BYTES, MessageTooLargeError } from './limits.js';
import { parseMessage } from './parse-message.js';
import { StreamFramer } from './stream-framer.js';

const torture = (name: string): Buffer => readFileSync(new URL(`../testdata/torture/${name}.dat`, import.meta.url));
const msg = (body: string, cl = Buffer.byteLength(body)): Buffer =>
  Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nl: ${cl}\r\n\r\n${body}`);

test('frames back-to-back messages by Content-Length', (t) => {
  const f = new StreamFramer();
  const a = msg('hello');
  const b = msg('');
  const out = f.push(Buffer.concat([a, b]));
  t.deepEqual(out.messages, [a, b]);
  t.is(f.buffered, 0);
});

test('byte-at-a-time delivery gives the same frames', (t) => {
  const f = new StreamFramer();
  const stream = Buffer.concat([msg('abc'), Buffer.from('\r\n\r\n'), torture('mpart01')]);
  const frames: Buffer[] = [];
  let pings = 0;
  for (const byte of stream) {
    const out = f.push(Buffer.from([byte]));
    frames.push(...out.messages);
    pings += out.pings;
  }
  t.is(frames.length, 2);
  t.deepEqual(frames[0], msg('abc'));
  t.deepEqual(frames[1], torture('mpart01'));
  t.is(pings, 1, 'the CRLFCRLF keepalive is counted even when split');
  t.is(parseMessage(frames[1] ?? Buffer.alloc(0), { stream: true }).body.length, 553);
});

test('keepalive CRLFs between messages are ignored (RFC 5626 §3.5.1)', (t) => {
  const f = new StreamFramer();
  const out = f.push(Buffer.from('\r\n\r\n\r\n\r\n'));
  t.deepEqual(out, { messages: [], pings: 2 });
  t.is(f.push(msg('x')).messages.length, 1);
});

test('a partial body waits for more bytes', (t) => {
  const f = new StreamFramer();
  const m = msg('0123456789');
  t.is(f.push(m.subarray(0, m.length - 3)).messages.length, 0);
  t.is(f.buffered, m.length - 3);
  t.deepEqual(f.push(m.subarray(m.length - 3)).messages, [m]);
});

test('missing Content-Length on a stream is a framing error and the framer stays failed', (t) => {
  const f = new StreamFramer();
  t.throws(() => f.push(torture('inv2543')), { instanceOf: ParseError });
  t.throws(() => f.push(msg('')), { instanceOf: ParseError });
});

test('RFC 4475 ncl and mcl01 over TCP: negative or repeated Content-Length closes the stream', (t) => {
  t.throws(() => new StreamFramer().push(torture('ncl')), { instanceOf: ParseError });
  t.throws(() => new StreamFramer().push(torture('mcl01')), { instanceOf: ParseError });
});

test('RFC 4475 clerr over TCP: waits for the body, but never buffers more than 64 KiB', (t) => {
  const f = new StreamFramer();
  t.is(f.push(torture('clerr')).messages.length, 0);
  const huge = msg('', MAX_MESSAGE_BYTES);
  t.throws(() => new StreamFramer().push(huge), { instanceOf: MessageTooLargeError });
  const g = new StreamFramer();
  const junk = Buffer.alloc(1024, 0x61);
  t.throws(() => {
    for (let i = 0; i < 70; i++) g.push(junk);
  }, { instanceOf: MessageTooLargeError });
});

test('folded Content-Length and compact form are understood', (t) => {
  const f = new StreamFramer();
  const m = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length:\r\n 3\r\n\r\nabc');
  t.deepEqual(f.push(m).messages, [m]);
});
