import test from 'ava';
import { parsePhone, phoneKey, type PhoneKind, type PhoneProblem } from './phone.js';

/** input → [key, kind, areaCode] as the trunk, an agent or the billing system may write it. */
const good: [string, string, PhoneKind, string | null][] = [
  ['13800138000', '13800138000', 'mobile', null],
  ['+8613800138000', '13800138000', 'mobile', null],
  ['008613800138000', '13800138000', 'mobile', null],
  ['8613800138000', '13800138000', 'mobile', null],
  ['013800138000', '13800138000', 'mobile', null], // trunk 0 before a non-local mobile
  ['138-0013-8000', '13800138000', 'mobile', null],
  ['138 0013 8000', '13800138000', 'mobile', null],
  ['+86 199 1234 5678', '19912345678', 'mobile', null],
  ['01088886666', '1088886666', 'landline', '010'],
  ['010-8888 6666', '1088886666', 'landline', '010'],
  ['(010) 88886666', '1088886666', 'landline', '010'],
  ['+86 10 8888 6666', '1088886666', 'landline', '010'],
  ['+86 010 8888 6666', '1088886666', 'landline', '010'], // a redundant trunk 0 after +86
  ['00861088886666', '1088886666', 'landline', '010'],
  ['02087654321', '2087654321', 'landline', '020'],
  ['037165432100', '37165432100', 'landline', '0371'],
  ['0371-6543210', '3716543210', 'landline', '0371'], // 7-digit subscriber
  ['075526543210', '75526543210', 'landline', '0755'],
  ['65432100', '37165432100', 'landline', '0371'], // local: site default area code
  ['95598', '95598', 'service', null],
  ['12345', '12345', 'service', null],
  ['110', '110', 'service', null],
  ['4008895598', '4008895598', 'service', null],
  ['+85291234567', '+85291234567', 'international', null],
  ['0085291234567', '+85291234567', 'international', null],
];

for (const [input, key, kind, area] of good) {
  test(`normalises ${JSON.stringify(input)} → ${key} (${kind})`, (t) => {
    const r = parsePhone(input, { defaultAreaCode: '0371' });
    if (!r.ok) return t.fail(`rejected: ${r.problem}`);
    t.is(r.phone.key, key);
    t.is(r.phone.kind, kind);
    t.is(r.phone.areaCode, area);
  });
}

const bad: [string, PhoneProblem][] = [
  ['', 'empty'],
  ['   ', 'empty'],
  ['138001380OO', 'bad-characters'],
  ['anonymous', 'bad-characters'],
  ['0123456789', 'bad-area-code'], // area codes never start 01x other than 010
  ['0371123', 'too-short'],
  ['037112345678901', 'too-long'],
  ['037101234567', 'bad-subscriber'], // subscriber numbers do not start with 0/1
  ['+8512', 'too-short'],
];

for (const [input, problem] of bad) {
  test(`rejects ${JSON.stringify(input)} as ${problem}`, (t) => {
    const r = parsePhone(input, { defaultAreaCode: '0371' });
    t.false(r.ok);
    if (!r.ok) t.is(r.problem, problem);
  });
}

test('a bare local number without a site area code is refused, not guessed', (t) => {
  const r = parsePhone('65432100');
  t.false(r.ok);
  if (!r.ok) t.is(r.problem, 'no-area-code');
});

test('every spelling of one number gives one key; display and E.164 forms', (t) => {
  const keys = new Set(['13800138000', '+86 138 0013 8000', '0086-138-0013-8000', '013800138000'].map((s) => phoneKey(s)));
  t.deepEqual([...keys], ['13800138000']);
  const m = parsePhone('13800138000');
  const l = parsePhone('01088886666');
  t.true(m.ok && l.ok);
  if (m.ok && l.ok) {
    t.is(m.phone.display, '138 0013 8000');
    t.is(m.phone.e164, '+8613800138000');
    t.is(l.phone.display, '010-8888 6666');
    t.is(l.phone.e164, '+861088886666');
  }
});
