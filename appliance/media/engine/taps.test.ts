/**
 * Supervisor taps verified by what each party actually receives (issue 4 acceptance:
 * "barge/whisper/listen verified by what each party actually receives"). A real media worker
 * bridges three RTP legs — caller (A-law), agent (µ-law), supervisor (A-law) — each fed by a
 * fake phone sending its own tone; the supervisor's mode is switched during the call and every
 * phone's received RTP is searched (Goertzel) for the three tones in each period:
 *
 *   listen   supervisor hears caller + agent; caller and agent do not hear the supervisor
 *   whisper  the agent hears the supervisor, the caller does not
 *   barge    everyone hears everyone
 */
import test from 'ava';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { decode } from '../codec/g711.js';
import { goertzelAmplitude } from '../tones/goertzel.js';
import { MediaEngine } from './media-engine.js';
import { FakePeer } from './testing/fake-peer.js';

const TONE = { caller: 500, agent: 1000, supervisor: 1700 } as const;
type Party = keyof typeof TONE;
const PARTIES = Object.keys(TONE) as Party[];

/** Which parties' tones are in what `peer` received between `from` and `to` (performance.now()). */
function heardIn(peer: FakePeer, from: number, to: number): Party[] {
  const frames = peer.received.filter((r) => r.at >= from && r.at < to && r.packet.payloadType === (peer.law === 'PCMA' ? 8 : 0));
  const pcm = decode(peer.law, Buffer.concat(frames.map((f) => f.packet.payload)));
  if (pcm.length < 8 * 200) throw new Error(`only ${pcm.length / 8} ms of audio received`);
  return PARTIES.filter((p) => goertzelAmplitude(pcm, TONE[p]) > 1500);
}

test('listen → whisper → barge → listen, switched mid-call: each phone hears exactly what the mode allows', async (t) => {
  const base = 48200 + (process.pid % 40) * 20;
  const engine = new MediaEngine({ workers: 1, rtpPortMin: base, rtpPortMax: base + 19, bindAddress: '127.0.0.1', clock: systemClock, log: createLogger('silent') });
  await engine.start();
  t.teardown(() => engine.stop());
  const phones = { caller: await FakePeer.open('PCMA'), agent: await FakePeer.open('PCMU'), supervisor: await FakePeer.open('PCMA') };
  t.teardown(() => Object.values(phones).forEach((p) => p.close()));
  const legs = {
    caller: await engine.createRtpEndpoint({ codec: 'PCMA', remote: phones.caller.address, affinity: 'call' }),
    agent: await engine.createRtpEndpoint({ codec: 'PCMU', remote: phones.agent.address, affinity: 'call' }),
    supervisor: await engine.createRtpEndpoint({ codec: 'PCMA', remote: phones.supervisor.address, affinity: 'call' }),
  };
  const bridge = await engine.createBridge({ affinity: 'call' });
  await bridge.add(legs.caller, { side: 'caller' });
  await bridge.add(legs.agent, { side: 'agent' });
  await bridge.add(legs.supervisor, { side: 'agent' });
  await bridge.tap(legs.supervisor, { mode: 'listen' });
  for (const p of PARTIES) phones[p].streamTone({ address: '127.0.0.1', port: legs[p].localPort }, TONE[p], 6000);

  const expected: Record<'listen' | 'whisper' | 'barge', Record<Party, Party[]>> = {
    listen: { caller: ['agent'], agent: ['caller'], supervisor: ['caller', 'agent'] },
    whisper: { caller: ['agent'], agent: ['caller', 'supervisor'], supervisor: ['caller', 'agent'] },
    barge: { caller: ['agent', 'supervisor'], agent: ['caller', 'supervisor'], supervisor: ['caller', 'agent'] },
  };
  const periods: Array<'listen' | 'whisper' | 'barge'> = ['listen', 'whisper', 'barge', 'listen'];
  for (const mode of periods) {
    await bridge.tap(legs.supervisor, { mode, target: legs.agent });
    await systemClock.sleep(200); // the jitter buffers drain what was mixed before the switch
    const from = performance.now();
    await systemClock.sleep(400);
    const to = performance.now();
    for (const p of PARTIES) t.deepEqual(heardIn(phones[p], from, to), expected[mode][p], `${mode}: what the ${p} hears`);
  }
  // Back to a plain party: the supervisor joins the conversation as a third party.
  await bridge.tap(legs.supervisor, null);
  await systemClock.sleep(200);
  const from = performance.now();
  await systemClock.sleep(400);
  t.deepEqual(heardIn(phones.caller, from, performance.now()), ['agent', 'supervisor'], 'conference: the caller hears both');
  for (const p of PARTIES) phones[p].stop();
  await bridge.destroy();
  for (const p of PARTIES) await legs[p].close();
});
