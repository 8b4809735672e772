import test from 'ava';
import { injectedMarkup } from './html-scan.js';

test('injectedMarkup finds the payload markers and not an id that happens to spell xss', (t) => {
  t.deepEqual(injectedMarkup('<form hx-post="/admin/users/usr_01KXSSB7Q"></form>'), []);
  t.deepEqual(injectedMarkup('<div hx-get="/admin/users?xss=8" hx-trigger="load">'), ['<div hx-get=/admin/users?xss=8>']);
  t.deepEqual(injectedMarkup('<p>&lt;img src=x onerror=xss(2)&gt;</p>'), [], 'escaped text is inert');
  t.deepEqual(injectedMarkup('<img src=x onerror=xss(2)>'), ['<img src=x>', '<img onerror>']);
  t.deepEqual(injectedMarkup('<a href="javascript:xss(9)">'), ['<a href=javascript:xss(9)>']);
});
