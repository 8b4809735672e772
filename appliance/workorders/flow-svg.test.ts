import test from 'ava';
import { esc, formatDuration, renderFlowSvg } from './flow-svg.js';
import { actors, openRig, repairInput } from './testing/fixtures.js';

test('the flow SVG shows every action with who, when and durations; overdue steps are red; user text is escaped', (t) => {
  const rig = openRig();
  rig.svc.createSlaPolicy({ typeId: 'repair', areaClass: 'urban', metric: 'arrival', targetMinutes: 45 });
  rig.svc.sla.start();
  let o = rig.svc.create(repairInput(), actors.agent);
  rig.clock.advance(2 * 60_000);
  o = rig.svc.act(o.id, { action: 'accept', version: o.version }, actors.agent);
  o = rig.svc.act(o.id, { action: 'dispatch', version: o.version, to: [{ kind: 'department', id: 'field' }], note: '<script>alert(1)</script> & "x"' }, actors.agent);
  rig.clock.advance(50 * 60_000);
  o = rig.svc.get(o.id);
  o = rig.svc.act(o.id, { action: 'reply', version: o.version, reply: '已修复' }, actors.lineman);
  const svg = renderFlowSvg(rig.svc.history(o.id), { title: `${o.number} <b>` });
  rig.svc.sla.stop();

  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  t.false(svg.includes('<script>'));
  t.false(svg.includes('<b>'));
  t.true(svg.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;'));
  const groups = [...svg.matchAll(/<g class="([^"]+)" data-action="([^"]+)">/g)].map((m) => [m[2], m[1]]);
  t.deepEqual(groups, [
    ['create', 'step'],
    ['accept', 'step'],
    ['dispatch', 'step'],
    ['sla-warn', 'step warned'],
    ['sla-breach', 'step overdue'],
    ['reply', 'step overdue'],
  ]);
  t.true(svg.includes('受理 <tspan font-weight="normal" fill="#333">2026-01-05 09:02</tspan>'), 'local time +08:00');
  t.true(svg.includes('+2 min'), 'duration between create and accept');
  t.true(svg.includes('user:lineman @ 10.0.1.5 · api'));
  t.true(svg.includes('stroke="#c62828"'));
  void rig.close();
});

test('esc and formatDuration', (t) => {
  t.is(esc(`<a href='x'>&</a>`), '&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;');
  t.is(formatDuration(40_000), '40 s');
  t.is(formatDuration(12 * 60_000), '12 min');
  t.is(formatDuration(185 * 60_000), '3 h 05 min');
  t.is(formatDuration(50 * 3_600_000), '2 d 2 h');
});
