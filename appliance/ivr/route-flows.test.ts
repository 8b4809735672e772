import test from 'ava';
import type { Flow } from './flow-schema.js';
import { defaultFlow } from './flows/index.js';
import type { FlowSource } from './ports.js';
import { routeFlows } from './route-flows.js';

const builtIn = defaultFlow();
const published = (flows: Flow[]): FlowSource => ({ published: async (id) => flows.find((f) => f.id === id) ?? null });

test('a routed call runs the published version, not the built-in default', async (t) => {
  const edited: Flow = { ...builtIn, version: 7, name: 'edited in the panel' };
  const r = routeFlows(() => published([edited]), builtIn);
  const f = await r.flow(builtIn.id);
  t.is(f?.version, 7);
  t.is(f?.name, 'edited in the panel');
});

test('other published flows are found by the route id', async (t) => {
  const other: Flow = { ...builtIn, id: 'water-hotline', version: 2 };
  t.is((await routeFlows(() => published([other]), builtIn).flow('water-hotline'))?.version, 2);
});

test('the built-in flow is a fallback for its own id only', async (t) => {
  const r = routeFlows(() => published([]), builtIn);
  t.is(await r.flow(builtIn.id), builtIn);
  t.is(await r.flow('no-such-flow'), null);
  t.is(await routeFlows(() => undefined).flow(builtIn.id), null);
});

test('the source is read per call (a store wired later is used)', async (t) => {
  let source: FlowSource | undefined;
  const r = routeFlows(() => source, builtIn);
  t.is(await r.flow(builtIn.id), builtIn);
  source = published([{ ...builtIn, version: 3 }]);
  t.is((await r.flow(builtIn.id))?.version, 3);
});
