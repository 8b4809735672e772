/**
 * The SMS channel of article sending (knowledge/sending.ts ArticleSender) over a configurable
 * HTTP SMS gateway (the operator's or a cloud SMS service behind the utility's proxy):
 *
 *   POST {baseUrl}/v1/sms/messages
 *   Authorization: Bearer <token>
 *   {"to":"13800138000","text":"【95598】…","clientRef":"kbd_…"}
 *   202 {"id":"…","to":"…","segments":2,"encoding":"ucs2"}
 *   400 {"error":{"code":"INVALID_NUMBER","message":"…"}}   (401, 429, 5xx: failed)
 *
 * Mainland SMS carry the sender's signature in 【】 at the front (MIIT rule for A2P SMS); the
 * text is the title and the body, cut to `maxSegments` UCS-2 segments (sms-segments.ts) so one
 * long article cannot become twenty messages. The gateway splits and reports the count. The
 * request timeout runs on the injected Clock.
 */
import type { Clock } from '../../core/clock.js';
import type { ArticleSender, OutgoingArticle, SendOutcome } from '../../knowledge/sending.js';
import { fitSms, splitSms } from './sms-segments.js';

export interface SmsGatewayOptions {
  baseUrl: string;
  token?: string;
  /** The 【signature】 put in front; default 95598. */
  signature?: string;
  /** Most segments one article becomes; default 5. */
  maxSegments?: number;
  timeoutMs?: number;
  clock: Clock;
}

/** Mainland mobile numbers only (SMS to landlines does not exist here); +86 / 0086 / 86 / trunk 0 dropped. */
export function mobileRecipient(raw: string): { ok: true; to: string } | { ok: false; problem: string } {
  const s = raw.replace(/[\s\-()]/g, '');
  const m = /^(?:\+86|0086|86|0)?(1[3-9]\d{9})$/.exec(s);
  return m ? { ok: true, to: m[1]! } : { ok: false, problem: 'expected a mainland mobile number (11 digits starting 13–19)' };
}

interface GatewayReply {
  id?: unknown;
  segments?: unknown;
  error?: { code?: unknown; message?: unknown };
}

export class SmsGatewaySender implements ArticleSender {
  readonly channel = 'sms' as const;

  constructor(private readonly opts: SmsGatewayOptions) {}

  recipient(raw: string) {
    return mobileRecipient(raw);
  }

  /** The SMS text for an article (exposed for previews and tests). */
  text(msg: Pick<OutgoingArticle, 'title' | 'body'>): string {
    const body = msg.body.replace(/\s+/g, ' ').trim();
    return fitSms(`【${this.opts.signature ?? '95598'}】${msg.title}：${body}`, this.opts.maxSegments ?? 5);
  }

  async send(msg: OutgoingArticle): Promise<SendOutcome> {
    const text = this.text(msg);
    const url = new URL('v1/sms/messages', this.opts.baseUrl.endsWith('/') ? this.opts.baseUrl : `${this.opts.baseUrl}/`);
    const abort = new AbortController();
    const timer = this.opts.clock.setTimeout(() => abort.abort(new Error('SMS gateway timed out')), this.opts.timeoutMs ?? 10_000);
    try {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}) },
          body: JSON.stringify({ to: msg.to, text, clientRef: msg.deliveryId }),
          signal: abort.signal,
        });
      } catch (err) {
        return { status: 'failed', error: `SMS gateway ${url.host}: ${(err as Error).message}` };
      }
      const reply = (await res.json().catch(() => ({}))) as GatewayReply;
      if (!res.ok) {
        const code = typeof reply.error?.code === 'string' ? reply.error.code : `HTTP ${res.status}`;
        const why = typeof reply.error?.message === 'string' ? `: ${reply.error.message}` : '';
        return { status: 'failed', error: `SMS gateway refused (${code})${why}` };
      }
      const segments = typeof reply.segments === 'number' ? reply.segments : splitSms(text).segments.length;
      return { status: 'sent', providerRef: typeof reply.id === 'string' ? reply.id : null, parts: segments };
    } finally {
      timer.cancel();
    }
  }
}
