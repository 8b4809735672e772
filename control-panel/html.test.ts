import test from 'ava';
import { escapeHtml, html, isSafeHtml, page, raw } from './html.js';

test('interpolated strings are escaped in text and attributes', (t) => {
  const evil = `<script>alert("x")</script>&'`;
  const out = html`<p title="${evil}">${evil}</p>`.value;
  t.is(
    out,
    '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">' +
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
  );
  t.false(out.includes('<script>'));
});

test('single quotes cannot break out of a single-quoted attribute', (t) => {
  const out = html`<a href='${"' onmouseover='steal()"}'>x</a>`.value;
  t.is(out, `<a href='&#39; onmouseover=&#39;steal()'>x</a>`);
});

test('already-escaped text is escaped again (no double-unescape trick)', (t) => {
  t.is(html`${'&lt;b&gt;'}`.value, '&amp;lt;b&amp;gt;');
});

test('nested html templates are not escaped twice', (t) => {
  const inner = html`<b>${'a<b'}</b>`;
  t.is(html`<p>${inner}</p>`.value, '<p><b>a&lt;b</b></p>');
});

test('arrays render each item, escaping plain strings', (t) => {
  const items = ['<i>', 'ok'];
  t.is(html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`.value, '<ul><li>&lt;i&gt;</li><li>ok</li></ul>');
  t.is(html`${['<', html`<br>`]}`.value, '&lt;<br>');
});

test('null, undefined and false render as nothing; numbers and true as text', (t) => {
  t.is(html`[${null}${undefined}${false}]`.value, '[]');
  t.is(html`${0} ${42} ${true} ${10n}`.value, '0 42 true 10');
});

test('raw() is the explicit escape hatch', (t) => {
  t.is(html`${raw('<hr>')}`.value, '<hr>');
  t.true(isSafeHtml(raw('')));
  t.false(isSafeHtml('<hr>'));
  t.false(isSafeHtml({ value: '<hr>' }), 'a look-alike object is not trusted');
  t.is(html`${{ value: '<hr>' } as unknown as string}`.value, '[object Object]');
});

test('Chinese text passes through unchanged', (t) => {
  t.is(html`<h1>${'热线一体机 控制台'}</h1>`.value, '<h1>热线一体机 控制台</h1>');
});

test('escapeHtml and page', (t) => {
  t.is(escapeHtml(`a&b<c>d"e'f`), 'a&amp;b&lt;c&gt;d&quot;e&#39;f');
  t.is(page(html`<p>${'<'}</p>`), '<!doctype html>\n<p>&lt;</p>');
  t.is(String(html`x${'<'}`), 'x&lt;');
});
