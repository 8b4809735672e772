/**
 * The e-mail channel of article sending (knowledge/sending.ts ArticleSender): the article as a
 * UTF-8 plain-text message (RFC 5322 headers, MIME per RFC 2045/2046, the Chinese subject as an
 * RFC 2047 encoded-word, the body base64 so no line is too long and none starts with a dot)
 * handed to the utility's relay by smtp-client.ts.
 */
import type { Clock } from '../../core/clock.js';
import type { ArticleSender, OutgoingArticle, SendOutcome } from '../../knowledge/sending.js';
import { SmtpClient, type SmtpOptions } from './smtp-client.js';

/** A plain addr-spec (RFC 5321 §4.1.2 Mailbox, dot-atom local part only): no quoting, no line breaks, no header injection. */
const ADDRESS = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function emailRecipient(raw: string): { ok: true; to: string } | { ok: false; problem: string } {
  const s = raw.trim();
  if (s.length > 254 || !ADDRESS.test(s) || s.startsWith('.') || s.includes('..')) return { ok: false, problem: 'expected an e-mail address such as name@example.com' };
  return { ok: true, to: s };
}

/** RFC 2047 §4.1 B-encoding, split so no encoded-word exceeds 75 characters and no character is cut. */
export function encodeHeaderWord(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join('\r\n ');
}

/** RFC 5322 §3.3 date-time in the site's offset. */
export function rfc5322Date(ms: number, offsetMinutes: number): string {
  const d = new Date(ms + offsetMinutes * 60_000);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const off = Math.abs(offsetMinutes);
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${sign}${p(Math.floor(off / 60))}${p(off % 60)}`;
}

export interface EmailSenderOptions {
  smtp: SmtpOptions;
  /** Envelope and From: address. */
  from: string;
  /** Display name of From:; default 95598. */
  fromName?: string;
  /** Appended under the article. */
  footer?: string;
  utcOffsetMinutes?: number;
  clock: Clock;
}

export class EmailArticleSender implements ArticleSender {
  readonly channel = 'email' as const;
  private readonly client: SmtpClient;

  constructor(private readonly opts: EmailSenderOptions) {
    this.client = new SmtpClient(opts.smtp);
  }

  recipient(raw: string) {
    return emailRecipient(raw);
  }

  /** The RFC 5322 message for an article. */
  message(msg: OutgoingArticle): string {
    const o = this.opts;
    const domain = o.from.split('@')[1] ?? 'hotline.invalid';
    const text = [msg.title, '', msg.body, ...(o.footer ? ['', '--', o.footer] : [])].join('\r\n');
    const b64 = Buffer.from(text, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
    return [
      `From: ${encodeHeaderWord(o.fromName ?? '95598')} <${o.from}>`,
      `To: <${msg.to}>`,
      `Subject: ${encodeHeaderWord(msg.title)}`,
      `Date: ${rfc5322Date(o.clock.now(), o.utcOffsetMinutes ?? 480)}`,
      `Message-ID: <${msg.deliveryId}@${domain}>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: base64',
      '',
      b64,
    ].join('\r\n');
  }

  async send(msg: OutgoingArticle): Promise<SendOutcome> {
    try {
      const reply = await this.client.send({ from: this.opts.from, to: [msg.to], message: this.message(msg) });
      return { status: 'sent', providerRef: reply.slice(0, 200) || null };
    } catch (err) {
      return { status: 'failed', error: (err as Error).message };
    }
  }
}
