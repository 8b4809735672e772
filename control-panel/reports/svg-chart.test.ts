import test from 'ava';
import { chart, niceMax } from './svg-chart.js';

test('nice axis maxima', (t) => {
  t.deepEqual([0, 0.7, 7, 19, 21, 99, 101, 240].map(niceMax), [1, 1, 10, 20, 25, 100, 200, 250]);
});

test('bar chart: one rect per value, heights proportional, labels and titles escaped', (t) => {
  const svg = chart({ kind: 'bar', title: '<script>alert(1)</script>', labels: ['a"b', '<i>x</i>'], series: [{ name: 'n&m', values: [50, 100] }], width: 200 + 72, height: 100 + 74 }).value;
  t.notRegex(svg, /<script>|<i>x<\/i>|a"b/);
  t.regex(svg, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  t.regex(svg, /n&amp;m/);
  const rects = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="#1f6feb"><title>/g)];
  t.is(rects.length, 2);
  // Plot height 100 px, axis max 100: 50 → 50 px, 100 → 100 px.
  t.is(Number(rects[0]![2]), 50);
  t.is(Number(rects[1]![2]), 100);
});

test('line chart: gaps for missing values split the line; many points drop the dots', (t) => {
  const svg = chart({ kind: 'line', title: 'SL', labels: ['1', '2', '3', '4'], series: [{ name: 'SL', values: [80, null, 90, 95] }], yMax: 100 }).value;
  t.is([...svg.matchAll(/<polyline /g)].length, 2);
  t.is([...svg.matchAll(/<circle /g)].length, 3);
  const many = chart({ kind: 'line', title: 'x', labels: Array.from({ length: 200 }, (_, i) => String(i)), series: [{ name: 's', values: Array.from({ length: 200 }, (_, i) => i) }] }).value;
  t.is([...many.matchAll(/<circle /g)].length, 0);
  // X labels thinned to at most ~12.
  t.true([...many.matchAll(/text-anchor="middle"/g)].length <= 12);
});
