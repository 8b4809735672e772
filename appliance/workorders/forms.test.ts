import test from 'ava';
import { ValidationError } from '../core/errors.js';
import { compileForm, parseForm } from './forms.js';

test('a form definition is itself validated, naming each bad field', (t) => {
  const err = t.throws(
    () =>
      parseForm({
        fields: [
          { key: 'a', label: 'A', type: 'select' },
          { key: 'a', label: 'A2', type: 'text', pattern: '(' },
          { key: '1x', label: 'bad', type: 'colour' },
        ],
      }),
    { instanceOf: ValidationError },
  );
  t.deepEqual(err.issues.map((i) => i.path).sort(), ['form.fields.0.options', 'form.fields.1.key', 'form.fields.1.pattern', 'form.fields.2.key', 'form.fields.2.type'].sort());
});

test('values are checked per type: required, pattern, range, options, unknown keys', (t) => {
  const check = compileForm(
    parseForm({
      fields: [
        { key: 'accountNo', label: '户号', type: 'text', required: true, pattern: '[0-9]{10}' },
        { key: 'kw', label: '容量', type: 'number', min: 0, max: 630 },
        { key: 'kind', label: '类别', type: 'multiselect', options: [{ value: 'res', label: '居民' }, { value: 'biz', label: '非居民' }] },
        { key: 'date', label: '预约日期', type: 'date' },
        { key: 'tel', label: '电话', type: 'phone' },
        { key: 'vip', label: '重要客户', type: 'boolean' },
      ],
    }),
  );
  t.deepEqual(check({ accountNo: '0123456789', kw: 50, kind: ['res'], vip: false }), { accountNo: '0123456789', kw: 50, kind: ['res'], vip: false });
  t.deepEqual(check({ accountNo: '0123456789', kw: null }), { accountNo: '0123456789', kw: null }, 'optional fields may be null');
  const err = t.throws(() => check({ accountNo: '123', kw: 1000, kind: ['gas'], date: '5/1/2026', tel: 'abc', other: 1 }), { instanceOf: ValidationError });
  t.deepEqual(err.issues.map((i) => i.path).sort(), ['fields', 'fields.accountNo', 'fields.date', 'fields.kind.0', 'fields.kw', 'fields.tel']);
});
