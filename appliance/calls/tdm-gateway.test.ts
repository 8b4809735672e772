import test from 'ava';
import { EventEmitter } from 'node:events';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import type { TdmSetup, TdmSetupResult, TdmSignalling, TdmSignallingEvents } from '../../drivers/types.js';
import { TdmSpanLegs } from '../channel/tdm/span-legs.js';
import type { TdmMediaPort } from '../channel/tdm/ports.js';
import { outcomeOfCause, TdmSpanGroupGateway, type TdmGatewaySpan } from './tdm-gateway.js';
import type { GatewayDialRequest } from './gateway.js';

const log = silentLogger();
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

/** A span's stack: setups succeed on the next free timeslot unless `refuse` says otherwise. */
class Stack extends EventEmitter implements TdmSignalling {
  readonly kind = 'pri' as const;
  refuse: Exclude<TdmSetupResult, { ok: true }>['reason'] | null = null;
  readonly setups: TdmSetup[] = [];
  readonly hangups: Array<[number, number]> = [];
  constructor(readonly spanNo: number) {
    super();
  }
  override on<K extends keyof TdmSignallingEvents>(event: K, fn: (e: TdmSignallingEvents[K]) => void): this {
    return super.on(event, fn);
  }
  override off<K extends keyof TdmSignallingEvents>(event: K, fn: (e: TdmSignallingEvents[K]) => void): this {
    return super.off(event, fn);
  }
  setup(p: TdmSetup): TdmSetupResult {
    if (this.refuse) return { ok: false, reason: this.refuse };
    this.setups.push(p);
    return { ok: true, timeslot: this.setups.length };
  }
  proceeding(): void {}
  alerting(): void {}
  progress(): void {}
  answer(): void {}
  hangup(ts: number, cause: number): void {
    this.hangups.push([ts, cause]);
    queueMicrotask(() => this.emit('hangup', { timeslot: ts, cause, by: 'local' }));
  }
}

const media: TdmMediaPort = {
  open: async () => ({ play: async () => ({ done: new Promise(() => undefined), stop: async () => undefined }), sendDtmf: async () => undefined, close: async () => undefined }),
};

function span(spanNo: number, clock: ManualClock): { stack: Stack; member: TdmGatewaySpan & { up: boolean } } {
  const stack = new Stack(spanNo);
  const bearers = Array.from({ length: 30 }, (_, i) => Object.assign(new EventEmitter(), { spanNo, timeslot: i + 1, chanNo: i + 1, codec: 'PCMA' as const, cas: null, write: () => undefined }));
  const legs = new TdmSpanLegs(stack, bearers, { clock, log, media, prompts: { resolve: () => null }, dtmf: () => ({ push: () => undefined, close: () => undefined }) });
  const member = { spanNo, legs, up: true, available: () => member.up };
  return { stack, member };
}

function request(o: Partial<GatewayDialRequest> = {}): GatewayDialRequest {
  return { callId: 'call-1', caller: { number: '95598', presentation: 'allowed' }, called: '13800138000', signal: new AbortController().signal, timeoutMs: 30_000, ...o };
}

test('outcomeOfCause: busy, no answer, rejected, resource causes are congestion, the rest failed', (t) => {
  t.is(outcomeOfCause(17), 'busy');
  t.is(outcomeOfCause(18), 'no-answer');
  t.is(outcomeOfCause(19), 'no-answer');
  t.is(outcomeOfCause(21), 'rejected');
  for (const c of [34, 38, 41, 42, 44, 47]) t.is(outcomeOfCause(c), 'congestion', `cause ${c}`);
  t.is(outcomeOfCause(1), 'failed');
  t.is(outcomeOfCause(16), 'failed');
});

test('hunts past an unavailable span and a refusing one; the far end answers → answered with the leg on the call’s worker', async (t) => {
  const clock = new ManualClock();
  const a = span(1, clock);
  const b = span(2, clock);
  const c = span(3, clock);
  a.member.up = false;
  b.stack.refuse = 'no-circuit';
  const gw = new TdmSpanGroupGateway('e1', [a.member, b.member, c.member], { clock, log });
  t.true(gw.available());
  const legs: string[] = [];
  const dialing = gw.dial(request({ onLeg: (l) => legs.push(l.id) }));
  t.is(a.stack.setups.length + b.stack.setups.length, 0);
  t.like(c.stack.setups[0], { called: '13800138000', calling: '95598', presentation: 'allowed' });
  c.stack.emit('ringing', { timeslot: 1, inband: false });
  c.stack.emit('answer', { timeslot: 1 });
  const r = await dialing;
  t.is(r.outcome, 'answered');
  if (r.outcome !== 'answered') return;
  t.is(r.channel.tech, 'tdm');
  t.deepEqual(legs, [r.channel.id]);
  t.is((r.channel as unknown as { affinity: string }).affinity, 'call-1');
});

test('no span can take the call: congestion with 38 when all are down, 34 when circuits are busy', async (t) => {
  const clock = new ManualClock();
  const a = span(1, clock);
  const b = span(2, clock);
  a.member.up = false;
  b.member.up = false;
  const gw = new TdmSpanGroupGateway('e1', [a.member, b.member], { clock, log });
  t.false(gw.available());
  t.deepEqual(await gw.dial(request()), { outcome: 'congestion', cause: 38 });
  b.member.up = true;
  b.stack.refuse = 'link-down';
  t.deepEqual(await gw.dial(request()), { outcome: 'congestion', cause: 38 });
  b.stack.refuse = 'blocked';
  t.deepEqual(await gw.dial(request()), { outcome: 'congestion', cause: 34 });
});

test('far-end busy → busy 17; ring timeout → no-answer 19 with the leg cleared; caller abort → leg cleared 16', async (t) => {
  const clock = new ManualClock();
  const a = span(1, clock);
  const gw = new TdmSpanGroupGateway('e1', [a.member], { clock, log });

  const busy = gw.dial(request());
  a.stack.emit('hangup', { timeslot: 1, cause: 17, by: 'remote' });
  t.deepEqual(await busy, { outcome: 'busy', cause: 17 });

  const slow = gw.dial(request({ timeoutMs: 5000 }));
  clock.advance(5000);
  t.deepEqual(await slow, { outcome: 'no-answer', cause: 19 });
  t.deepEqual(a.stack.hangups.at(-1), [2, 19]);

  const ac = new AbortController();
  const aborted = gw.dial(request({ signal: ac.signal }));
  ac.abort();
  t.deepEqual(await aborted, { outcome: 'failed', cause: 16 });
  await settle();
  t.deepEqual(a.stack.hangups.at(-1), [3, 16]);
});
