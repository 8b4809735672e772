import test from 'ava';
import { ALAW_TO_ULAW, FRAME_SAMPLES, decode, encode, type G711Law } from '../codec/g711.js';
import { goertzelAmplitude } from '../tones/goertzel.js';
import { Bridge } from './bridge.js';
import { hears, mixFrame, type MixMember } from './mixer.js';

function tone(law: G711Law, freq: number, amp = 6000): Uint8Array {
  const pcm = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = Math.round(amp * Math.sin((2 * Math.PI * freq * i) / 8000));
  return encode(law, pcm);
}

/** Which of the frequencies are present in what `id` hears. */
function heard(b: Bridge, id: string, freqs: number[]): number[] {
  const s = b.slot(id);
  if (!s) throw new Error(id);
  const pcm = decode(s.law, s.output);
  return freqs.filter((f) => goertzelAmplitude(pcm, f) > 2000);
}

/** caller 1000 Hz, agent 600 Hz, supervisor 1400 Hz. */
function callWithSupervisor(): Bridge {
  const b = new Bridge('b1');
  b.add('caller', 'PCMA', 'caller').input.set(tone('PCMA', 1000));
  b.add('agent', 'PCMU', 'agent').input.set(tone('PCMU', 600));
  b.add('sup', 'PCMA', 'agent', { mode: 'listen', target: null }).input.set(tone('PCMA', 1400));
  return b;
}
const F = [1000, 600, 1400];

test('two parties: byte path with A↔µ transcode by G.711 table', (t) => {
  const b = new Bridge('b');
  const a = b.add('a', 'PCMA', 'caller');
  const u = b.add('u', 'PCMU', 'agent');
  a.input.set(tone('PCMA', 1000));
  u.input.set(tone('PCMU', 600));
  t.true(b.isPair);
  b.mix();
  t.deepEqual(
    [...u.output],
    [...a.input].map((c) => ALAW_TO_ULAW[c]),
  );
  t.deepEqual(heard(b, 'a', F), [600]);
  t.deepEqual(heard(b, 'u', F), [1000]);
});

test('listen: supervisor hears both, nobody hears the supervisor', (t) => {
  const b = callWithSupervisor();
  b.mix();
  t.deepEqual(heard(b, 'sup', F), [1000, 600]);
  t.deepEqual(heard(b, 'caller', F), [600]);
  t.deepEqual(heard(b, 'agent', F), [1000]);
});

test('whisper: the agent hears the supervisor, the caller does not; switchable to barge and back', (t) => {
  const b = callWithSupervisor();
  b.setTap('sup', { mode: 'whisper', target: 'agent' });
  b.mix();
  t.deepEqual(heard(b, 'agent', F), [1000, 1400]);
  t.deepEqual(heard(b, 'caller', F), [600]);
  t.deepEqual(heard(b, 'sup', F), [1000, 600]);
  b.setTap('sup', { mode: 'barge', target: null });
  b.mix();
  t.deepEqual(heard(b, 'agent', F), [1000, 1400]);
  t.deepEqual(heard(b, 'caller', F), [600, 1400]);
  b.setTap('sup', { mode: 'listen', target: null });
  b.mix();
  t.deepEqual(heard(b, 'caller', F), [600]);
  t.throws(() => b.setTap('sup', { mode: 'whisper', target: 'nobody' }), { code: 'NOT_FOUND' });
});

test('recording sides: caller left, agent (and a barging supervisor) right; whisper not recorded', (t) => {
  const b = callWithSupervisor();
  const side = (s: 'caller' | 'agent'): number[] => F.filter((f) => goertzelAmplitude(b.sideLinear(s, new Int16Array(FRAME_SAMPLES)), f) > 2000);
  b.setTap('sup', { mode: 'whisper', target: 'agent' });
  t.deepEqual(side('caller'), [1000]);
  t.deepEqual(side('agent'), [600]);
  b.setTap('sup', { mode: 'barge', target: null });
  t.deepEqual(side('agent'), [600, 1400]);
  const codes = b.sideCodes('caller', 'PCMA', new Uint8Array(FRAME_SAMPLES));
  t.deepEqual([...codes], [...(b.slot('caller')?.input ?? [])], 'single A-law member: bytes as they came');
});

test('n-party conference: sum minus own, with clipping', (t) => {
  const b = new Bridge('conf');
  b.add('p1', 'PCMA', 'caller').input.set(tone('PCMA', 500));
  b.add('p2', 'PCMA', 'agent').input.set(tone('PCMA', 1000));
  b.add('p3', 'PCMU', 'agent').input.set(tone('PCMU', 1500));
  b.mix();
  const G = [500, 1000, 1500];
  t.deepEqual(heard(b, 'p1', G), [1000, 1500]);
  t.deepEqual(heard(b, 'p2', G), [500, 1500]);
  t.deepEqual(heard(b, 'p3', G), [500, 1000]);

  const loud = new Int16Array(4).fill(30000);
  const members: MixMember[] = ['a', 'b', 'c'].map((id) => ({ id, side: 'caller', tap: null }));
  const outs = [new Int16Array(4), new Int16Array(4), new Int16Array(4)];
  mixFrame(members, [loud, loud, new Int16Array(4).fill(-30000)], outs);
  t.deepEqual([...(outs[2] as Int16Array)], [32767, 32767, 32767, 32767], '60000 clips to 32767, no wrap-around');
  t.deepEqual([...(outs[0] as Int16Array)], [0, 0, 0, 0]);
});

test('hearing rules', (t) => {
  const p = (id: string, side: 'caller' | 'agent'): MixMember => ({ id, side, tap: null });
  const s = (mode: 'listen' | 'whisper' | 'barge', target: string | null = null): MixMember => ({ id: 's', side: 'agent', tap: { mode, target } });
  t.false(hears(p('a', 'caller'), p('a', 'caller')));
  t.true(hears(s('listen'), p('a', 'caller')));
  t.false(hears(p('a', 'caller'), s('listen')));
  t.true(hears(p('b', 'agent'), s('whisper')), 'whisper without target: agent side');
  t.false(hears(p('a', 'caller'), s('whisper')));
  t.false(hears(p('b', 'agent'), s('whisper', 'other')));
  t.true(hears(p('a', 'caller'), s('barge')));
  t.false(hears({ id: 's2', side: 'agent', tap: { mode: 'listen', target: null } }, s('barge')), 'taps never hear taps');
});
