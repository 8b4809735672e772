import test from 'ava';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import type { TdmChannelDeps } from '../channel/tdm-channel.js';
import type { TdmCallChannel } from '../channel/tdm-channel.js';
import { SimulatedCard } from '../../drivers/sim/sim-card.js';
import { ConfigSchema } from '../core/config.js';
import { openCardSpans, spanConfigOf, type SpanPlan } from './card-spans.js';

function channelDeps(clock: ManualClock): TdmChannelDeps {
  return {
    clock,
    log: silentLogger(),
    prompts: { resolve: () => null },
    dtmf: () => ({ push: () => undefined, close: () => undefined }),
    media: {
      open: async () => ({
        play: async () => ({ done: new Promise(() => undefined), stop: async () => undefined }),
        sendDtmf: async () => undefined,
        close: async () => undefined,
      }),
    },
  };
}

test('span framing follows the signalling: CAS for R2, CCS for PRI and SS7', (t) => {
  t.is(spanConfigOf({ signalling: 'r2', crc4: false, timing: 1 }).framing, 'cas');
  t.like(spanConfigOf({ signalling: 'pri_net', crc4: true, timing: 0 }), { framing: 'ccs', signalling: 'pri_net', timing: 0, crc4: true });
  t.is(spanConfigOf({ signalling: 'ss7', crc4: true, timing: 1 }).framing, 'ccs');
});

test('config: card.spans defaults to span 1 PRI CPE in group e1; duplicates are refused', (t) => {
  const parsed = ConfigSchema.parse({});
  t.deepEqual(parsed.card.spans, [{ span: 1, signalling: 'pri_cpe', group: 'e1', crc4: true, timing: 1 }]);
  t.deepEqual(parsed.card.analog, { fxs: [], fxo: [] });
  t.false(ConfigSchema.safeParse({ card: { spans: [{ span: 1 }, { span: 1, signalling: 'r2' }] } }).success);
  t.false(ConfigSchema.safeParse({ card: { analog: { fxs: [{ port: 1, extension: '8001' }], fxo: [{ port: 1, did: '1' }] } } }).success);
  t.false(ConfigSchema.safeParse({ card: { spans: [{ span: 1, group: 'Bad Group' }] } }).success);
});

test('spans from config: one gateway per group in order, far ends cabled on spare spans, an R2 call arrives with its DNIS and ANI', async (t) => {
  const clock = new ManualClock();
  const log = silentLogger();
  const card = new SimulatedCard({}, { clock, log });
  t.teardown(() => card.close());
  const plans: SpanPlan[] = [
    { span: 1, signalling: 'pri_cpe', group: 'pstn', crc4: true, timing: 1 },
    { span: 3, signalling: 'r2', group: 'cnc', crc4: false, timing: 2 },
  ];
  const opened = await openCardSpans(card, plans, { clock, log, channel: channelDeps(clock) });
  t.teardown(() => opened.close());
  t.deepEqual(
    opened.gateways.map((g) => g.id),
    ['pstn', 'cnc'],
  );
  t.deepEqual(
    opened.spans.map((s) => [s.span.spanNo, s.span.config.framing, s.signalling.kind]),
    [
      [1, 'ccs', 'pri'],
      [3, 'cas', 'r2'],
    ],
  );
  t.is(card.cableAt(1)?.b, 2, 'span 1 cabled to spare span 2');
  t.is(card.cableAt(3)?.b, 4, 'span 3 cabled to spare span 4');
  t.truthy(opened.spans[0]?.exchange, 'the PRI CPE span faces the simulated NET exchange');
  t.false(opened.gateways[0]?.available(), 'a PRI group is not available before its D channel is up');

  for (let i = 0; i < 10; i++) clock.advance(20);
  t.true(opened.gateways[1]?.available(), 'the R2 group is available once its span is in service');
  const r2 = opened.spans[1];
  const far = r2?.farEnd;
  if (!r2 || far?.kind !== 'r2') return t.fail('no simulated R2 exchange facing span 3');
  t.is(far.spanNo, 4);
  const incoming: TdmCallChannel[] = [];
  r2.legs.on('incoming', (ch) => incoming.push(ch));
  const placed = far.exchange.placeCall({ called: '95598', calling: '13800138000' });
  if (!placed.ok) return t.fail(`R2 exchange refused: ${placed.reason}`);
  for (let i = 0; i < 500 && incoming.length === 0; i++) {
    clock.advance(20);
    await Promise.resolve();
  }
  t.is(incoming.length, 1, 'the R2 seizure became an inbound TDM leg');
  t.like(incoming[0], { tech: 'tdm', spanNo: 3, called: { number: '95598' }, caller: { number: '13800138000' } });
});
