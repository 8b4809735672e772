import test from 'ava';
import { BOM, toCsv } from './csv.js';

test('CSV: BOM, CRLF, RFC 4180 quoting, formula injection defused, numbers kept numeric', (t) => {
  const csv = toCsv(['队列', 'n'], [
    ['=HYPERLINK("http://x","y")', 1.23456],
    ['+cmd|/c calc', -5],
    ['@SUM(A1)', null],
    ['a,b\r\n"c"', 0],
    ['\tTAB', 3],
    ['-2+3', 2],
    ['普通文本', 12],
  ]);
  t.true(csv.startsWith(BOM));
  const lines = csv.slice(1).split('\r\n');
  t.is(lines[0], '队列,n');
  t.is(lines[1], `"'=HYPERLINK(""http://x"",""y"")",1.2346`);
  t.is(lines[2], `'+cmd|/c calc,-5`);
  t.is(lines[3], `'@SUM(A1),`);
  t.is(lines[4], '"a,b');
  t.is(lines[5], `""c""",0`);
  t.is(lines[6], `'\tTAB,3`);
  t.is(lines[7], `'-2+3,2`);
  t.is(lines[8], '普通文本,12');
  t.true(csv.endsWith('\r\n'));
});
