/**
 * Records one caller's message on the media engine (issue 7 voicemail 留言; ivr/ports.ts
 * MessageRecorder): the caller's engine leg (SIP RTP endpoint or TDM B channel, as call.ts
 * bridges them) joins a bridge of its own, on the call's worker (affinity = call id), and the
 * bridge is recorded (media/recorder/recorder.ts: `.part` → fsync → rename; with the engine's
 * ledger, a `recordings` row). The recording ends at the first of:
 *
 *   key     an end key from the caller ('#' by default);
 *   max     maxMs on the injected clock;
 *   hangup  the caller hung up (what reached the disk is kept);
 *   stopped the IVR stopped (`signal`, e.g. a drain).
 *
 * Silence detection needs the engine to report speech energy, which it does not yet
 * (media worker); `silenceMs` is accepted and ignored until it does.
 *
 * The file is `<dir>/<YYYY>/<MM>/<DD>/<callId>-vm<n>.wav` so it never collides with the call's
 * own recording (`<callId>.wav`). The leg leaves the bridge afterwards, so the flow's next
 * prompts play as before.
 */
import type { Channel, Digit } from '../channel/channel.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { MediaEngine } from '../media/engine/media-engine.js';
import type { MessageEnd, MessageRecorder, RecordedMessage } from '../ivr/ports.js';
import { engineLegOf } from './call.js';

export class EngineMessageRecorder implements MessageRecorder {
  private seq = 0;

  constructor(private readonly deps: { engine: Pick<MediaEngine, 'createBridge'>; clock: Clock; log: Logger; dir?: string }) {}

  async record(req: { callId: string; channel: Channel; maxMs: number; signal: AbortSignal; endKeys?: string; silenceMs?: number }): Promise<RecordedMessage> {
    const { channel } = req;
    const leg = await engineLegOf(channel);
    if (!leg) throw new Error(`leg ${channel.id} has no media to record`);
    const bridge = await this.deps.engine.createBridge({ affinity: req.callId });
    const log = this.deps.log.child({ mod: 'voicemail', callId: req.callId });
    try {
      await bridge.add(leg, { side: 'caller' });
      const rec = await bridge.record({ callId: `${req.callId}-vm${++this.seq}`, encoding: 'alaw', ...(this.deps.dir ? { dir: this.deps.dir } : {}) });
      const endedBy = await this.waitEnd(req);
      const closed = await rec.stop().catch(() => rec.closed);
      log.info({ path: closed.path, durationMs: closed.durationMs, endedBy, outcome: closed.outcome }, 'message recorded');
      return { recording: closed.path, recordingId: rec.rowId, durationMs: closed.durationMs, endedBy };
    } finally {
      if (channel.level !== 'terminated') await bridge.remove(leg).catch(() => undefined);
      await bridge.destroy().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'voicemail bridge destroy failed'));
    }
  }

  private waitEnd(req: { channel: Channel; maxMs: number; signal: AbortSignal; endKeys?: string }): Promise<MessageEnd> {
    const { channel, signal } = req;
    const keys = req.endKeys ?? '#';
    return new Promise((resolve) => {
      const finish = (why: MessageEnd): void => {
        timer.cancel();
        channel.off('dtmf', onDtmf);
        signal.removeEventListener('abort', onAbort);
        channel.ended.removeEventListener('abort', onAbort);
        resolve(why);
      };
      const onDtmf = (d: Digit): void => {
        if (keys.includes(d)) finish('key');
      };
      const onAbort = (): void => finish(channel.ended.aborted ? 'hangup' : 'stopped');
      const timer = this.deps.clock.setTimeout(() => finish('max'), req.maxMs);
      channel.on('dtmf', onDtmf);
      if (signal.aborted || channel.ended.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      channel.ended.addEventListener('abort', onAbort, { once: true });
    });
  }
}
