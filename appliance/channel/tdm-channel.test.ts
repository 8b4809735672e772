import test from 'ava';
import { EventEmitter } from 'node:events';
import { silentLogger } from '../core/log.js';
import { ManualClock } from '../core/testing/manual-clock.js';
import type { TdmChannel as TdmBearer, TdmSetup, TdmSetupResult, TdmSignalling, TdmSignallingEvents } from '../../drivers/types.js';
import { encode as g711encode } from '../media/codec/g711.js';
import { CallLevels, type CallLevel, type Digit, type HangupInfo } from './channel.js';
import { InvalidTransitionError } from '../core/errors.js';
import { TdmCallChannel, type TdmChannelDeps } from './tdm-channel.js';
import { checkLevel, nextLevels } from './tdm/levels.js';
import type { DtmfDetector, MediaPlayback, MediaSource, TdmMediaLeg, TdmMediaPort } from './tdm/ports.js';
import { TdmSpanLegs } from './tdm/span-legs.js';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

/** A span's stack, scripted: records verbs, lets the test raise events. */
class FakeSignalling extends EventEmitter implements TdmSignalling {
  readonly kind = 'pri' as const;
  readonly spanNo = 1;
  readonly verbs: string[] = [];
  autoClear = true;
  busy = new Set<number>();
  override on<K extends keyof TdmSignallingEvents>(event: K, fn: (e: TdmSignallingEvents[K]) => void): this {
    return super.on(event, fn);
  }
  override off<K extends keyof TdmSignallingEvents>(event: K, fn: (e: TdmSignallingEvents[K]) => void): this {
    return super.off(event, fn);
  }
  raise<K extends keyof TdmSignallingEvents>(event: K, e: TdmSignallingEvents[K]): void {
    this.emit(event, e);
  }
  setup(p: TdmSetup): TdmSetupResult {
    const ts = p.timeslot ?? 1;
    if (this.busy.has(ts)) return { ok: false, reason: 'busy' };
    this.verbs.push(`setup ${ts} ${p.called}`);
    return { ok: true, timeslot: ts };
  }
  proceeding(ts: number): void {
    this.verbs.push(`proceeding ${ts}`);
  }
  alerting(ts: number): void {
    this.verbs.push(`alerting ${ts}`);
  }
  progress(ts: number): void {
    this.verbs.push(`progress ${ts}`);
  }
  answer(ts: number): void {
    this.verbs.push(`answer ${ts}`);
  }
  hangup(ts: number, cause: number): void {
    this.verbs.push(`hangup ${ts} ${cause}`);
    if (this.autoClear) queueMicrotask(() => this.raise('hangup', { timeslot: ts, cause, by: 'local' }));
  }
}

class FakeBearer extends EventEmitter {
  readonly codec = 'PCMA' as const;
  readonly cas = null;
  readonly chanNo: number;
  constructor(
    readonly spanNo: number,
    readonly timeslot: number,
  ) {
    super();
    this.chanNo = timeslot;
  }
  write(): void {}
}

/** The media engine, scripted: each play lasts until the test ends it (or stop()). */
class FakeMedia implements TdmMediaPort {
  readonly played: MediaSource[] = [];
  readonly dtmf: string[] = [];
  opened = 0;
  closed = 0;
  private ends: Array<(reason: 'finished' | 'stopped') => void> = [];
  /** Kill the worker under the open legs (media-engine.ts onWorkerCrash). */
  readonly failLeg: Array<(reason: string) => void> = [];
  async open(): Promise<TdmMediaLeg> {
    this.opened++;
    return {
      onFailed: (fn) => this.failLeg.push(fn),
      play: async (source): Promise<MediaPlayback> => {
        this.played.push(source);
        let end!: (reason: 'finished' | 'stopped') => void;
        const done = new Promise<{ reason: 'finished' | 'stopped'; error: null }>((r) => (end = (reason) => r({ reason, error: null })));
        this.ends.push(end);
        return { done, stop: async () => end('stopped') };
      },
      sendDtmf: async (digits) => {
        this.dtmf.push(digits);
      },
      close: async () => {
        this.closed++;
      },
    };
  }
  finishCurrent(): void {
    this.ends.shift()?.('finished');
  }
}

/** A detector that "hears" digit k of '0123456789*#' in a frame at level (k + 1) × 1024. */
const KEYS = '0123456789*#';
function fakeDetector(onDigit: (d: string) => void): DtmfDetector {
  return {
    push: (samples) => {
      const k = Math.round((samples[0] as number) / 1024) - 1;
      if (k >= 0 && k < KEYS.length) onDigit(KEYS[k] as string);
    },
    close: () => undefined,
  };
}
const digitFrame = (d: string): Uint8Array => g711encode('PCMA', new Int16Array(160).fill((KEYS.indexOf(d) + 1) * 1024));

function rig() {
  const clock = new ManualClock();
  const sig = new FakeSignalling();
  const media = new FakeMedia();
  const bearers = [1, 2, 3].map((ts) => new FakeBearer(1, ts));
  const deps: TdmChannelDeps = {
    clock,
    log: silentLogger(),
    media,
    prompts: { resolve: (name, lang) => (name === 'missing' ? null : `/prompts/${lang ?? 'zh'}/${name}.wav`) },
    dtmf: fakeDetector,
  };
  const legs = new TdmSpanLegs(sig, bearers as unknown as TdmBearer[], deps);
  const incoming: TdmCallChannel[] = [];
  legs.on('incoming', (ch) => incoming.push(ch));
  return { clock, sig, media, bearers, legs, incoming };
}

test('levels: the guard allows the table, treats the same level as a no-op and throws for the rest', (t) => {
  t.true(checkLevel('x', 'setup', 'connected'));
  t.false(checkLevel('x', 'alerting', 'alerting'));
  const err = t.throws(() => checkLevel('x', 'connected', 'alerting'), { instanceOf: InvalidTransitionError });
  t.like(err, { from: 'connected', to: 'alerting' });
  t.throws(() => checkLevel('x', 'terminated', 'connected'), { code: 'INVALID_TRANSITION' });
  for (const from of CallLevels) t.false(nextLevels[from].includes('setup'), `nothing returns to setup (from ${from})`);
});

test('an inbound call: ring → leg with caller presentation, proceeding/alerting/answer signalled, levels emitted', async (t) => {
  const r = rig();
  r.sig.raise('ring', { timeslot: 2, calling: '13800138000', callingName: 'Zhang', called: '95598', presentation: 'restricted' });
  const ch = r.incoming[0];
  if (!ch) return t.fail('no leg');
  t.like(ch, { tech: 'tdm', direction: 'inbound', timeslot: 2, spanNo: 1, level: 'setup' });
  t.deepEqual(ch.caller, { number: '13800138000', name: 'Zhang', presentation: 'restricted' });
  t.deepEqual(ch.called, { number: '95598', presentation: 'allowed' });
  const levels: CallLevel[] = [];
  ch.on('level', (l) => levels.push(l));
  await ch.proceeding();
  await ch.alerting();
  await ch.answer();
  await ch.answer();
  t.deepEqual(r.sig.verbs, ['proceeding 2', 'alerting 2', 'answer 2']);
  t.deepEqual(levels, ['proceeding', 'alerting', 'connected']);
  t.is(r.media.opened, 1, 'the media leg opens once, at answer');
  await t.throwsAsync(ch.alerting(), { code: 'INVALID_TRANSITION' });
});

test('hangup: the cause goes to the stack, the leg ends with it (by local), media closed, ended aborted', async (t) => {
  const r = rig();
  r.sig.raise('ring', { timeslot: 1, calling: '1', callingName: '', called: '95598', presentation: 'allowed' });
  const ch = r.incoming[0] as TdmCallChannel;
  await ch.answer();
  const seen: HangupInfo[] = [];
  ch.on('hangup', (h) => seen.push(h));
  await ch.hangup(16);
  t.deepEqual(r.sig.verbs.at(-1), 'hangup 1 16');
  t.like(seen[0], { cause: 16, by: 'local' });
  t.is(ch.level, 'terminated');
  t.true(ch.ended.aborted);
  await settle();
  t.is(r.media.closed, 1);
  t.is(r.legs.active.size, 0);
  await ch.hangup(17);
  t.is(r.sig.verbs.filter((v) => v.startsWith('hangup')).length, 1, 'a second hangup is a no-op');
});

test('the media worker under an answered leg dies: the call is cleared with cause 41 (temporary failure)', async (t) => {
  const r = rig();
  r.sig.raise('ring', { timeslot: 3, calling: '1', callingName: '', called: '95598', presentation: 'allowed' });
  const ch = r.incoming[0] as TdmCallChannel;
  await ch.answer();
  await settle();
  const seen: HangupInfo[] = [];
  ch.on('hangup', (h) => seen.push(h));
  t.is(r.media.failLeg.length, 1, 'the leg listens for its worker');
  r.media.failLeg[0]?.('media worker 0 died: exit 1');
  await settle();
  t.deepEqual(r.sig.verbs.at(-1), 'hangup 3 41');
  t.like(seen[0], { cause: 41, by: 'local' });
  t.is(ch.level, 'terminated');
});

test('a far-end clearing ends the leg with the far end’s Q.850 cause; a stack that never confirms ours is cut by the guard', async (t) => {
  const r = rig();
  r.sig.raise('ring', { timeslot: 1, calling: '1', callingName: '', called: '95598', presentation: 'allowed' });
  r.sig.raise('ring', { timeslot: 2, calling: '2', callingName: '', called: '95598', presentation: 'allowed' });
  const [a, b] = r.incoming as [TdmCallChannel, TdmCallChannel];
  r.sig.raise('hangup', { timeslot: 1, cause: 34, by: 'remote' });
  t.like(a.hangupInfo, { cause: 34, by: 'remote' });
  r.sig.autoClear = false;
  const done = b.hangup(21);
  await settle();
  t.is(b.level, 'setup');
  r.clock.advance(5000);
  await done;
  t.like(b.hangupInfo, { cause: 21, by: 'local' });
  t.is(r.legs.active.size, 0);
});

test('in-band DTMF from the line: detected digits are emitted and interrupt a barge-in prompt', async (t) => {
  const r = rig();
  r.sig.raise('ring', { timeslot: 3, calling: '1', callingName: '', called: '95598', presentation: 'allowed' });
  const ch = r.incoming[0] as TdmCallChannel;
  await ch.answer();
  const digits: Digit[] = [];
  ch.on('dtmf', (d) => digits.push(d));
  const playing = ch.media.play([{ kind: 'prompt', name: 'welcome', lang: 'zh' }, { kind: 'prompt', name: 'menu' }], { bargeIn: true });
  await settle();
  t.deepEqual(r.media.played, [{ wav: '/prompts/zh/welcome.wav' }]);
  (r.bearers[2] as FakeBearer).emit('frame', digitFrame('5'));
  t.deepEqual(await playing, { outcome: 'interrupted', digit: '5' });
  t.deepEqual(digits, ['5']);
  t.is(r.media.played.length, 1, 'the second prompt never started');
  // Not on another timeslot's bearer.
  (r.bearers[0] as FakeBearer).emit('frame', digitFrame('7'));
  t.deepEqual(digits, ['5']);
});

test('play: items in order to completion; a missing prompt is failed; a hangup mid-prompt is hungup', async (t) => {
  const r = rig();
  r.sig.raise('ring', { timeslot: 1, calling: '1', callingName: '', called: '95598', presentation: 'allowed' });
  const ch = r.incoming[0] as TdmCallChannel;
  await ch.answer();
  const p1 = ch.media.play([{ kind: 'tone', tone: 'ringback' }, { kind: 'silence', durationMs: 200 }]);
  await settle();
  r.media.finishCurrent();
  await settle();
  r.media.finishCurrent();
  t.deepEqual(await p1, { outcome: 'completed' });
  t.like(r.media.played[0], { tone: { segments: [{ freqs: [450], ms: 1000 }, { freqs: [], ms: 4000 }] } });
  t.like(r.media.played[1], { tone: { segments: [{ freqs: [], ms: 200 }], repeat: false } });
  t.deepEqual(await ch.media.play([{ kind: 'prompt', name: 'missing' }]), { outcome: 'failed' });
  t.deepEqual(await ch.media.play([{ kind: 'tone', tone: 'no-such-tone' }]), { outcome: 'failed' });
  const p2 = ch.media.play([{ kind: 'prompt', name: 'welcome' }]);
  await settle();
  r.sig.raise('hangup', { timeslot: 1, cause: 16, by: 'remote' });
  t.deepEqual(await p2, { outcome: 'hungup' });
  t.deepEqual(await ch.media.play([{ kind: 'prompt', name: 'welcome' }]), { outcome: 'hungup' });
});

test('a tone with a duration is stopped after it on the clock', async (t) => {
  const r = rig();
  r.sig.raise('ring', { timeslot: 1, calling: '1', callingName: '', called: '95598', presentation: 'allowed' });
  const ch = r.incoming[0] as TdmCallChannel;
  await ch.answer();
  let result: unknown = null;
  void ch.media.play([{ kind: 'tone', tone: 'busy', durationMs: 1000 }]).then((x) => (result = x));
  await settle();
  r.clock.advance(999);
  await settle();
  t.is(result, null);
  r.clock.advance(1);
  await settle();
  t.deepEqual(result, { outcome: 'completed' });
});

test('sendDtmf: valid digits go in-band to the engine, and it resolves after they have been sent', async (t) => {
  const r = rig();
  r.sig.raise('ring', { timeslot: 1, calling: '1', callingName: '', called: '95598', presentation: 'allowed' });
  const ch = r.incoming[0] as TdmCallChannel;
  await ch.answer();
  let sent = false;
  void ch.media.sendDtmf('12x#').then(() => (sent = true));
  await settle();
  t.deepEqual(r.media.dtmf, ['12#']);
  r.clock.advance(3 * 160 - 1);
  await settle();
  t.false(sent);
  r.clock.advance(1);
  await settle();
  t.true(sent);
});

test('an outbound call: setup, the far end alerts and answers; a refused setup is a value', async (t) => {
  const r = rig();
  const o = r.legs.originate({ timeslot: 2, called: '13800138000', calling: '95598' });
  if (!o.ok) return t.fail(o.reason);
  const levels: CallLevel[] = [];
  o.channel.on('level', (l) => levels.push(l));
  t.like(o.channel, { direction: 'outbound', timeslot: 2 });
  r.sig.raise('proceeding', { timeslot: 2 });
  r.sig.raise('ringing', { timeslot: 2, inband: true });
  r.sig.raise('answer', { timeslot: 2 });
  t.deepEqual(levels, ['proceeding', 'early-media', 'connected']);
  await settle();
  t.is(r.media.opened, 1);
  await t.throwsAsync(o.channel.answer(), { code: 'CONFLICT' });
  r.sig.busy.add(3);
  t.deepEqual(r.legs.originate({ timeslot: 3, called: '1', calling: '2' }), { ok: false, reason: 'busy' });
});

test('a call on a timeslot already in use, or with nobody to take it, is refused with a cause', async (t) => {
  const r = rig();
  r.sig.raise('ring', { timeslot: 1, calling: '1', callingName: '', called: '95598', presentation: 'allowed' });
  r.sig.raise('ring', { timeslot: 1, calling: '2', callingName: '', called: '95598', presentation: 'allowed' });
  t.is(r.incoming.length, 1);
  t.true(r.sig.verbs.includes('hangup 1 44'));
  r.sig.raise('ring', { timeslot: 9, calling: '3', callingName: '', called: '95598', presentation: 'allowed' });
  t.true(r.sig.verbs.includes('hangup 9 6'), 'no bearer for timeslot 9');
  const lonely = rig();
  lonely.legs.off('incoming', () => undefined);
  lonely.legs.close();
  const sig = new FakeSignalling();
  const legs = new TdmSpanLegs(sig, [new FakeBearer(1, 1)] as unknown as TdmBearer[], {
    clock: lonely.clock,
    log: silentLogger(),
    media: lonely.media,
    prompts: { resolve: () => null },
    dtmf: fakeDetector,
  });
  sig.raise('ring', { timeslot: 1, calling: '1', callingName: '', called: '95598', presentation: 'allowed' });
  t.deepEqual(sig.verbs, ['hangup 1 63']);
  legs.close();
});
