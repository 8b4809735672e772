/**
 * The demo exchange's B-channel audio over the REST API (issue 7 acceptance: "a PRI caller from
 * the simulated exchange … hears the menu", asserted on what the caller HEARD). The simulated
 * exchange (drivers/sim/exchange.ts) records what it receives on a call's timeslot and plays
 * whatever source it is given; the daemon runs it in its own process, so a test or a demo script
 * reaches it here:
 *
 *   POST /demo/calls { …, record: true }        recording starts with the SETUP (wire-card.ts)
 *   GET  /demo/calls/:timeslot/recording?from=N  the A-law heard from byte N on, base64, with the
 *                                                call's state (kept after the call is released)
 *   POST /demo/calls/:timeslot/dtmf { digits }   keyed in-band NOW (spandsp DTMF generator,
 *                                                ITU-T Q.23 tones), as a person at the phone does
 *
 * A call placed with `digits`/`dtmf` already plays its own generator; keying here replaces it.
 * The last call seen on each timeslot is kept, so its recording can be read after it is cleared.
 */
import { z } from 'zod';
import { queryInt, type RouteRegistry } from '../api/registry.js';
import { NotFoundError } from '../core/errors.js';
import { encode as g711encode } from '../media/codec/g711.js';
import type { ExchangeCall } from '../../drivers/sim/exchange.js';
import { DtmfGenerator } from '../../drivers/spandsp/dtmf.js';

/** The day-long bound on waiting for a demo call's release (it only frees the generator). */
const RELEASE_WAIT_MS = 24 * 3_600_000;

export class DemoCallMedia {
  private readonly calls = new Map<number, ExchangeCall>();
  private readonly generators = new Map<ExchangeCall, DtmfGenerator>();

  /** A call the exchange just placed: reachable by its timeslot, recording from now when asked. */
  adopt(call: ExchangeCall, o: { record: boolean }): void {
    this.calls.set(call.channel, call);
    if (o.record) call.startRecording();
  }

  /** What the exchange heard on the timeslot's last call, from byte `from`. */
  heard(timeslot: number, from: number): { state: ExchangeCall['state']; cause: number | null; length: number; audio: Uint8Array } {
    const call = this.callOn(timeslot);
    const all = call.recording();
    return { state: call.state, cause: call.clearing?.cause ?? null, length: all.length, audio: all.subarray(Math.min(from, all.length)) };
  }

  /** Key `digits` in-band on the timeslot's call from the next block on. */
  key(timeslot: number, digits: string): void {
    const call = this.callOn(timeslot);
    let gen = this.generators.get(call);
    if (!gen) {
      const g = new DtmfGenerator();
      gen = g;
      this.generators.set(call, g);
      const pcm = new Int16Array(160);
      call.play(() => {
        g.generate(pcm);
        return g711encode('PCMA', pcm);
      });
      void call
        .waitFor('released', RELEASE_WAIT_MS)
        .catch(() => undefined)
        .finally(() => {
          this.generators.delete(call);
          g.close();
        });
    }
    gen.put(digits);
  }

  private callOn(timeslot: number): ExchangeCall {
    const call = this.calls.get(timeslot);
    if (!call) throw new NotFoundError('demo call on timeslot', timeslot);
    return call;
  }
}

const Timeslot = z.strictObject({ timeslot: queryInt(1, 31) });

export function registerDemoCallMediaRoutes(registry: RouteRegistry, media: DemoCallMedia): void {
  registry.route({
    method: 'get',
    path: '/demo/calls/:timeslot/recording',
    summary: 'What the simulated exchange heard on a demo call’s B channel',
    description: 'Demo only (card.driver sim): A-law (G.711, 8 kHz) bytes from `from` on, base64; the call must have been placed with `record: true`.',
    tags: ['demo'],
    scope: 'demo:write',
    params: Timeslot,
    query: z.strictObject({ from: queryInt(0, 2 ** 31).optional() }),
    errors: ['NOT_FOUND'],
    response: {
      description: 'The recording so far',
      schema: z.object({
        timeslot: z.number().int(),
        state: z.string(),
        cause: z.number().int().nullable(),
        length: z.number().int(),
        from: z.number().int(),
        alaw: z.string().describe('base64'),
      }),
    },
    handler: ({ params, query }) => {
      const from = query.from ?? 0;
      const h = media.heard(params.timeslot, from);
      return { timeslot: params.timeslot, state: h.state, cause: h.cause, length: h.length, from, alaw: Buffer.from(h.audio).toString('base64') };
    },
  });
  registry.route({
    method: 'post',
    path: '/demo/calls/:timeslot/dtmf',
    summary: 'Key DTMF in-band on a demo call now',
    description: 'Demo only (card.driver sim): the exchange plays the digits as Q.23 tones on the B channel (spandsp generator).',
    tags: ['demo'],
    scope: 'demo:write',
    params: Timeslot,
    body: z.strictObject({ digits: z.string().regex(/^[0-9*#A-D]{1,32}$/) }),
    errors: ['NOT_FOUND'],
    response: { status: 202, description: 'The digits were queued', schema: z.object({ timeslot: z.number().int(), digits: z.string() }) },
    handler: ({ params, body }) => {
      media.key(params.timeslot, body.digits);
      return { timeslot: params.timeslot, digits: body.digits };
    },
  });
}
