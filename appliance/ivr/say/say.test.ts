import test from 'ava';
import { ValidationError } from '../../core/errors.js';
import { say, sayPromptNames, sayText, type Lang, type SayKind } from './index.js';

const zh = (kind: SayKind, v: string | number): string => sayText(say(kind, v, 'zh'), 'zh');
const en = (kind: SayKind, v: string | number): string => sayText(say(kind, v, 'en'), 'en');

const ZH_NUMBERS: Array<[string | number, string]> = [
  [0, '零'],
  [1, '一'],
  [2, '二'],
  [10, '十'],
  [11, '十一'],
  [15, '十五'],
  [20, '二十'],
  [22, '二十二'],
  [100, '一百'],
  [101, '一百零一'],
  [110, '一百一十'],
  [111, '一百一十一'],
  [200, '两百'],
  [222, '两百二十二'],
  [1000, '一千'],
  [1001, '一千零一'],
  [1010, '一千零一十'],
  [1100, '一千一百'],
  [1200, '一千二百'],
  [2000, '两千'],
  [9999, '九千九百九十九'],
  [10000, '一万'],
  [10001, '一万零一'],
  [10010, '一万零一十'],
  [10100, '一万零一百'],
  [11000, '一万一千'],
  [12000, '一万两千'],
  [20000, '两万'],
  [22000, '两万两千'],
  [100000, '十万'],
  [100010, '十万零一十'],
  [110000, '十一万'],
  [220000, '二十二万'],
  [1000000, '一百万'],
  [10100000, '一千零一十万'],
  [20000000, '两千万'],
  [100000000, '一亿'],
  [100000001, '一亿零一'],
  [100010000, '一亿零一万'],
  [110000000, '一亿一千万'],
  [200000000, '两亿'],
  [200020000, '两亿零二万'],
  [1000000000000, '一万亿'],
  ['3.14', '三点一四'],
  ['0.5', '零点五'],
  [-5, '负五'],
  ['-0', '零'],
  ['007', '七'],
];

for (const [v, text] of ZH_NUMBERS) {
  test(`zh number ${JSON.stringify(v)} → ${text}`, (t) => t.is(zh('number', v), text));
}

const EN_NUMBERS: Array<[string | number, string]> = [
  [0, 'zero'],
  [10, 'ten'],
  [15, 'fifteen'],
  [21, 'twenty one'],
  [100, 'one hundred'],
  [101, 'one hundred one'],
  [110, 'one hundred ten'],
  [1000, 'one thousand'],
  [1001, 'one thousand one'],
  [10000, 'ten thousand'],
  [10010, 'ten thousand ten'],
  [20000000, 'twenty million'],
  [1000000001, 'one billion one'],
  ['3.14', 'three point one four'],
  [-7, 'minus seven'],
];

for (const [v, text] of EN_NUMBERS) {
  test(`en number ${v} → ${text}`, (t) => t.is(en('number', v), text));
}

const ZH_MONEY: Array<[string | number, string]> = [
  ['123.45', '一百二十三元四角五分'],
  ['0.05', '五分'],
  ['12.30', '十二元三角'],
  ['12.05', '十二元零五分'],
  ['12.00', '十二元'],
  ['0', '零元'],
  ['0.00', '零元'],
  ['2', '两元'],
  ['2.22', '两元两角两分'],
  ['0.29', '两角九分'],
  [0.29, '两角九分'],
  ['10', '十元'],
  ['10010.10', '一万零一十元一角'],
  ['1,234.5', '一千二百三十四元五角'],
  ['0.005', '一分'],
  ['0.004', '零元'],
  ['-3.5', '负三元五角'],
  ['20000000', '两千万元'],
];

for (const [v, text] of ZH_MONEY) {
  test(`zh money ${JSON.stringify(v)} → ${text}`, (t) => t.is(zh('money', v), text));
}

const EN_MONEY: Array<[string | number, string]> = [
  ['123.45', 'one hundred twenty three yuan and forty five cents'],
  ['0.05', 'five cents'],
  ['12.30', 'twelve yuan and thirty cents'],
  ['1.01', 'one yuan and one cent'],
  ['0', 'zero yuan'],
  ['100', 'one hundred yuan'],
];

for (const [v, text] of EN_MONEY) {
  test(`en money ${v} → ${text}`, (t) => t.is(en('money', v), text));
}

const DATES: Array<[string, Lang, string]> = [
  ['2026-01-05', 'zh', '二零二六年一月五日'],
  ['2025-12-31', 'zh', '二零二五年十二月三十一日'],
  ['2000-02-20', 'zh', '二零零零年二月二十日'],
  ['2011-11-11', 'zh', '二零一一年十一月十一日'],
  ['2026-01-05', 'en', 'January fifth twenty twenty six'],
  ['2000-02-29', 'en', 'February twenty-ninth two thousand'],
  ['2005-07-04', 'en', 'July fourth two thousand five'],
  ['1999-12-31', 'en', 'December thirty-first nineteen ninety nine'],
  ['1905-03-01', 'en', 'March first nineteen oh five'],
  ['1900-10-10', 'en', 'October tenth nineteen hundred'],
  ['2010-06-21', 'en', 'June twenty-first twenty ten'],
];

for (const [v, lang, text] of DATES) {
  test(`${lang} date ${v} → ${text}`, (t) => t.is(sayText(say('date', v, lang), lang), text));
}

const TIMES: Array<[string, Lang, string]> = [
  ['14:05', 'zh', '十四点零五分'],
  ['02:00', 'zh', '两点整'],
  ['10:30', 'zh', '十点三十分'],
  ['00:00', 'zh', '零点整'],
  ['12:10', 'zh', '十二点十分'],
  ['2026-01-05T18:45:00+08:00', 'zh', '十八点四十五分'],
  ['14:05', 'en', "two oh five p.m."],
  ['12:00', 'en', "twelve o'clock p.m."],
  ['00:30', 'en', 'twelve thirty a.m.'],
  ['09:45', 'en', 'nine forty five a.m.'],
];

for (const [v, lang, text] of TIMES) {
  test(`${lang} time ${v} → ${text}`, (t) => t.is(sayText(say('time', v, lang), lang), text));
}

test('zh digits read 1 as 幺 and keep leading zeros; en digits one by one', (t) => {
  t.is(zh('digits', '95598'), '九五五九八');
  t.is(zh('digits', '0371-12345'), '零三七幺幺二三四五');
  t.is(zh('digits', '1*#'), '幺星井');
  t.deepEqual(say('digits', '1010', 'en'), ['digit-1', 'digit-0', 'digit-1', 'digit-0']);
});

test('exact prompt-name sequences (what the catalogue plays)', (t) => {
  t.deepEqual(say('number', 110, 'zh'), ['digit-1', 'hundred', 'digit-1', 'ten']);
  t.deepEqual(say('number', 10010, 'zh'), ['digit-1', 'wan', 'digit-0', 'digit-1', 'ten']);
  t.deepEqual(say('number', 20000000, 'zh'), ['liang', 'thousand', 'wan']);
  t.deepEqual(say('money', '0.05', 'zh'), ['digit-5', 'fen']);
  t.deepEqual(say('money', '12.30', 'zh'), ['ten', 'digit-2', 'yuan', 'digit-3', 'jiao']);
  t.deepEqual(say('number', 101, 'en'), ['digit-1', 'hundred', 'digit-1']);
  t.deepEqual(say('number', 15, 'en'), ['n-15']);
});

test('every produced name is in the language prompt set', (t) => {
  for (const lang of ['zh', 'en'] as const) {
    const known = new Set(sayPromptNames(lang));
    const samples = [
      ...['0', '2', '10', '15', '101', '22000', '200020000', '1000000000000', '-3.14'].map((v) => say('number', v, lang)),
      ...['0.05', '2.22', '123.45'].map((v) => say('money', v, lang)),
      say('date', '2031-12-31', lang),
      say('time', '23:59', lang),
      say('digits', '0123456789*#', lang),
    ];
    for (const names of samples) for (const n of names) t.true(known.has(n), `${lang}: ${n}`);
  }
});

test('bad values are ValidationErrors, not silent garbage', (t) => {
  t.throws(() => say('number', 'abc', 'zh'), { instanceOf: ValidationError });
  t.throws(() => say('money', '1.2.3', 'zh'), { instanceOf: ValidationError });
  t.throws(() => say('number', '12345678901234567', 'zh'), { instanceOf: ValidationError });
  t.throws(() => say('date', '2026-02-30', 'zh'), { instanceOf: ValidationError });
  t.throws(() => say('time', '24:00', 'en'), { instanceOf: ValidationError });
  t.throws(() => say('number', Number.NaN, 'en'), { instanceOf: ValidationError });
});
