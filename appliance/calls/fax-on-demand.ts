/**
 * Fax-on-demand (issue 7 "fax-on-demand (send a document from the library to the caller or a
 * number they enter)"; ivr/ports.ts FaxPort) over the media engine's T.30 sessions
 * (media/engine/fax-session.ts, MediaEngine.startFax: ITU-T T.30 over the call's G.711 audio).
 *
 * To the caller: the document (a TIFF-F in the library, `<dir>/<document>.tif`) is sent on the
 * caller's own leg. We answered the call, so our terminal is the T.30 called terminal
 * (`answerer`: CED, then DIS); the caller's machine, started in receive mode, takes the pages.
 * The outcome is `sent` when T.30 phase E reports success, `failed` otherwise (unknown
 * document, no media, a T.30 error, the caller hanging up: the session is stopped).
 *
 * To a number: an outbound fax call needs the outbound routes (calls/outbound-*.ts) to place a
 * call without a phone behind it; that is not wired yet, so it answers `failed` (the flow's
 * onFail branch tells the caller) and logs why.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Channel } from '../channel/channel.js';
import type { Logger } from '../core/log.js';
import type { FaxPort } from '../ivr/ports.js';
import type { MediaEngine } from '../media/engine/media-engine.js';
import { engineLegOf } from './call.js';

const DOCUMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export class EngineFaxPort implements FaxPort {
  constructor(private readonly deps: { engine: Pick<MediaEngine, 'startFax'>; log: Logger; dir: string; ident?: string }) {}

  /** The library file of a document id, or null (ids are plain names: no paths). */
  documentPath(document: string): string | null {
    if (!DOCUMENT_ID.test(document) || document.includes('..')) return null;
    const file = path.join(this.deps.dir, `${document}.tif`);
    return existsSync(file) ? file : null;
  }

  async send(req: { callId: string; channel: Channel; document: string; to: 'caller' | { number: string }; signal: AbortSignal }): Promise<{ outcome: 'sent' | 'queued' | 'failed' }> {
    const log = this.deps.log.child({ mod: 'fax-on-demand', callId: req.callId, document: req.document });
    const file = this.documentPath(req.document);
    if (!file) {
      log.warn('fax document not in the library');
      return { outcome: 'failed' };
    }
    if (req.to !== 'caller') {
      log.warn({ to: req.to.number }, 'fax to a number: outbound fax calls are not wired');
      return { outcome: 'failed' };
    }
    const leg = await engineLegOf(req.channel);
    if (!leg || req.signal.aborted) return { outcome: 'failed' };
    const job = await this.deps.engine.startFax(leg, { direction: 'send', file, role: 'answerer', ...(this.deps.ident ? { ident: this.deps.ident } : {}) });
    const stop = (): void => void job.stop().catch(() => undefined);
    req.signal.addEventListener('abort', stop, { once: true });
    try {
      const done = await job.done;
      log.info({ ok: done.ok, pages: done.pages, code: done.completionCode, reason: done.reason }, 'fax on demand ended');
      return { outcome: done.ok ? 'sent' : 'failed' };
    } finally {
      req.signal.removeEventListener('abort', stop);
    }
  }
}
