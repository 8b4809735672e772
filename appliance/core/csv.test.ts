import test from 'ava';
import { CsvError, decodeCsv, formatCsv, parseCsv } from './csv.js';
import { ParseError } from './errors.js';

const fields = (text: string): string[][] => parseCsv(text).map((r) => r.fields);

test('RFC 4180 §2.1/2.2: CRLF records, the last line break optional', (t) => {
  t.deepEqual(fields('aaa,bbb,ccc\r\nzzz,yyy,xxx\r\n'), [['aaa', 'bbb', 'ccc'], ['zzz', 'yyy', 'xxx']]);
  t.deepEqual(fields('aaa,bbb,ccc\r\nzzz,yyy,xxx'), [['aaa', 'bbb', 'ccc'], ['zzz', 'yyy', 'xxx']]);
  t.deepEqual(fields('a,b\nc,d\re,f'), [['a', 'b'], ['c', 'd'], ['e', 'f']], 'LF and CR alone end records too');
});

test('RFC 4180 §2.5–2.7: quotes, embedded commas, line breaks and doubled quotes', (t) => {
  const text = '"aaa","b\r\nbb","ccc"\r\nzzz,"y,y","x""x"""\r\n"",,""\r\n';
  t.deepEqual(fields(text), [['aaa', 'b\r\nbb', 'ccc'], ['zzz', 'y,y', 'x"x"'], ['', '', '']]);
  const recs = parseCsv('h1,h2\r\n"多行\n地址",2\r\nlast,3\r\n');
  t.deepEqual(recs.map((r) => r.line), [1, 2, 4], 'a record starts on the line after the embedded break');
  t.is(recs[1]!.fields[0], '多行\n地址');
});

test('a BOM is dropped, blank lines are skipped, empty fields kept', (t) => {
  t.deepEqual(fields('\uFEFF姓名,户号\r\n\r\n张三,\r\n\r\n'), [['姓名', '户号'], ['张三', '']]);
  t.deepEqual(parseCsv('\uFEFFa\r\n\r\nb').map((r) => r.line), [1, 3]);
});

test('malformed CSV is a CsvError with line and column', (t) => {
  const unclosed = t.throws(() => parseCsv('a,b\r\n1,"open\r\n2,3\r\n'), { instanceOf: CsvError });
  t.like(unclosed, { line: 2, column: 3 });
  t.regex(unclosed!.message, /never closed/);
  const inner = t.throws(() => parseCsv('a,b\r\n1,x"y\r\n'), { instanceOf: CsvError });
  t.like(inner, { line: 2, column: 4 });
  const after = t.throws(() => parseCsv('"a"b,c'), { instanceOf: CsvError });
  t.like(after, { line: 1, column: 4 });
  t.throws(() => parseCsv('a\nb\nc', { maxRecords: 2 }), { instanceOf: CsvError, message: /more than 2 records/ });
  t.true(unclosed instanceof ParseError);
});

test('decodeCsv: strict UTF-8 with the offending byte, GB18030 on request, UTF-16 named', (t) => {
  const gbk = Buffer.from([0xd5, 0xc5, 0xc8, 0xfd, 0x2c, 0x31]); // 张三,1 in GBK
  const err = t.throws(() => decodeCsv(gbk), { instanceOf: ParseError });
  t.is(err?.offset, 0);
  t.regex(err!.message, /not valid UTF-8 at byte 0.*gb18030/);
  t.is(decodeCsv(gbk, 'gb18030'), '张三,1');
  const late = Buffer.concat([Buffer.from('姓名,户号\r\n', 'utf8'), Buffer.from([0xc0, 0x80])]);
  t.is((t.throws(() => decodeCsv(late)) as ParseError).offset, Buffer.byteLength('姓名,户号\r\n'));
  t.throws(() => decodeCsv(Buffer.from([0xff, 0xfe, 0x41, 0x00])), { message: /UTF-16/ });
  t.is(decodeCsv(Buffer.from('\uFEFFa,b', 'utf8')), 'a,b', 'the BOM is consumed by the decoder');
});

test('formatCsv and parseCsv round-trip awkward values', (t) => {
  const rows = [['名称', 'note'], ['a,b', 'say "hi"'], ['line\r\nbreak', ''], ['plain', 'x']];
  t.deepEqual(fields(formatCsv(rows)), rows);
});
