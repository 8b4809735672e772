import test from 'ava';
import { fitSms, splitSms } from './sms-segments.js';

test('GSM-7 text: 160 in one SMS, 153 per concatenated segment; extension characters take two', (t) => {
  t.deepEqual(splitSms('a'.repeat(160)).segments.length, 1);
  const two = splitSms('a'.repeat(161));
  t.is(two.encoding, 'gsm7');
  t.deepEqual(two.segments.map((s) => s.length), [153, 8]);
  t.is(splitSms('{'.repeat(80)).segments.length, 1, '80 × 2 septets = 160');
  t.is(splitSms('{'.repeat(81)).segments.length, 2);
});

test('Chinese is UCS-2: 70 in one SMS, 67 per segment; surrogate pairs stay whole; nothing is lost', (t) => {
  const seventy = '停'.repeat(70);
  t.deepEqual(splitSms(seventy), { encoding: 'ucs2', segments: [seventy] });
  const text = '尊敬的客户：因线路检修，' + '金水路'.repeat(40) + '停电，预计18:00恢复。';
  const s = splitSms(text);
  t.is(s.encoding, 'ucs2');
  t.is(s.segments.join(''), text);
  t.true(s.segments.every((x) => x.length <= 67));
  t.is(s.segments.length, Math.ceil(text.length / 67));
  t.is(splitSms('好'.repeat(66) + '😀' + '好').segments.length, 1, '69 UTF-16 units fit one SMS');
  const emoji = splitSms('好'.repeat(66) + '😀' + '好'.repeat(5));
  t.deepEqual(emoji.segments.map((x) => x.length), [66, 7], 'the pair would straddle unit 67: it moves to the next segment');
  t.is(splitSms('Café ok').encoding, 'gsm7');
  t.is(splitSms('').segments.length, 0);
});

test('fitSms cuts to a segment budget with an ellipsis', (t) => {
  const long = '电'.repeat(500);
  const fitted = fitSms(long, 3);
  t.is(splitSms(fitted).segments.length, 3);
  t.true(fitted.endsWith('…'));
  t.is(fitted.length, 3 * 67);
  t.is(fitSms('短信', 3), '短信');
});
