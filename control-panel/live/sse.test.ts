import test from 'ava';
import { formatComment, formatMessage, formatRetry, parseStream } from './sse.js';

test('a multi-line data value becomes several data lines and parses back joined with LF', (t) => {
  const text = formatMessage({ event: 'oob', data: '<tr id="a">\r\n<td>x</td>\n</tr>', id: '01J' });
  t.is(text, 'event: oob\ndata: <tr id="a">\ndata: <td>x</td>\ndata: </tr>\nid: 01J\n\n');
  t.deepEqual(parseStream(text), [{ event: 'oob', data: '<tr id="a">\n<td>x</td>\n</tr>', id: '01J' }]);
});

test('ids and event types with line breaks are refused (they would inject fields)', (t) => {
  t.throws(() => formatMessage({ data: 'x', id: '1\nevent: evil' }));
  t.throws(() => formatMessage({ event: 'a\rb', data: 'x' }));
});

test('comments and retry hints', (t) => {
  t.is(formatComment('hb\n1'), ': hb 1\n\n');
  t.is(formatRetry(2000.7), 'retry: 2000\n\n');
  t.is(parseStream(formatComment('hb 5'))[0]?.comment, 'hb 5');
});
