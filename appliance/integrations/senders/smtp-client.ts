/**
 * A minimal SMTP client (RFC 5321) — Node has none built in and the appliance installs no mail
 * package — enough to hand one message to the utility's mail relay:
 *
 *   greeting 220 → EHLO → [STARTTLS → EHLO] → [AUTH PLAIN] → MAIL FROM → RCPT TO… → DATA → 354
 *   → message, dot-stuffed, ended by CRLF.CRLF → 250 → QUIT
 *
 * RFC 5321 §4.2.1: "The format for multiline replies requires that every line, except the last,
 * begin with the reply code, followed immediately by a hyphen, "-" … The last line will begin
 * with the reply code, followed immediately by <SP>". §4.5.2 (transparency): "Before sending a
 * line of mail text, the SMTP client checks the first character of the line. If it is a period,
 * one additional period is inserted at the beginning of the line."
 *
 * Transport security: `tls` connects with TLS from the start (RFC 8314 "implicit TLS", port
 * 465); `starttls` upgrades after EHLO (RFC 3207) and refuses to go on in the clear when the
 * server does not offer it; `none` is for a relay on the appliance's own LAN. AUTH PLAIN is RFC
 * 4954 with the RFC 4616 `\0user\0password` message, sent only over TLS unless `allowPlainAuth`.
 * Every wait runs against one deadline on the injected Clock. Errors are SmtpError values with
 * the server's reply code.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Clock } from '../../core/clock.js';
import { AppError } from '../../core/errors.js';

export type SmtpSecurity = 'none' | 'starttls' | 'tls';

export interface SmtpOptions {
  host: string;
  port: number;
  security: SmtpSecurity;
  username?: string;
  password?: string;
  /** EHLO name; default `hotline.invalid`. */
  heloName?: string;
  /** For the whole conversation; default 30 s. */
  timeoutMs?: number;
  /** Extra TLS options (a private CA, `rejectUnauthorized: false` for a lab relay). */
  tls?: tls.ConnectionOptions;
  /** Allow AUTH over a clear connection (a LAN relay that insists); default false. */
  allowPlainAuth?: boolean;
  clock: Clock;
}

export interface SmtpReply {
  code: number;
  lines: string[];
}

export class SmtpError extends AppError {
  constructor(
    message: string,
    readonly replyCode: number | null,
  ) {
    super('UPSTREAM_UNAVAILABLE', message);
  }
}

/** RFC 5321 §4.5.2 dot-stuffing, CRLF line ends, and the final `.` line. */
export function dataBlock(message: string): string {
  const lines = message.replace(/\r?\n/g, '\r\n').split('\r\n');
  if (lines.at(-1) === '') lines.pop();
  return `${lines.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n')}\r\n.\r\n`;
}

/** Reads CRLF lines and assembles multi-line replies. */
class ReplyReader {
  private buf = '';
  private lines: string[] = [];
  private readonly ready: SmtpReply[] = [];
  private waiter: { resolve: (r: SmtpReply) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  push(chunk: string): void {
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\r\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      const m = /^(\d{3})([ -])(.*)$/.exec(line);
      if (!m) {
        this.fail(new SmtpError(`malformed SMTP reply line: ${JSON.stringify(line.slice(0, 80))}`, null));
        return;
      }
      this.lines.push(m[3]!);
      if (m[2] === ' ') {
        this.deliver({ code: Number(m[1]), lines: this.lines });
        this.lines = [];
      }
    }
  }

  fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(e);
  }

  next(): Promise<SmtpReply> {
    const r = this.ready.shift();
    if (r) return Promise.resolve(r);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private deliver(r: SmtpReply): void {
    const w = this.waiter;
    this.waiter = null;
    if (w) w.resolve(r);
    else this.ready.push(r);
  }
}

export interface SmtpEnvelope {
  from: string;
  to: readonly string[];
  /** The RFC 5322 message (headers, blank line, body). */
  message: string;
}

export class SmtpClient {
  constructor(private readonly opts: SmtpOptions) {}

  /** Hands one message to the server; resolves with the final 250 reply's text (queue id). */
  async send(env: SmtpEnvelope): Promise<string> {
    const o = this.opts;
    let socket: net.Socket = o.security === 'tls' ? tls.connect({ host: o.host, port: o.port, servername: o.host, ...o.tls }) : net.connect({ host: o.host, port: o.port });
    let reader = new ReplyReader();
    const attach = (s: net.Socket, r: ReplyReader) => {
      s.setEncoding('utf8');
      s.on('data', (d: string) => r.push(d));
      s.on('error', (e) => r.fail(new SmtpError(`SMTP ${o.host}:${o.port}: ${e.message}`, null)));
      s.on('close', () => r.fail(new SmtpError(`SMTP ${o.host}:${o.port} closed the connection`, null)));
    };
    attach(socket, reader);
    const deadline = o.clock.setTimeout(() => {
      reader.fail(new SmtpError(`SMTP ${o.host}:${o.port} timed out`, null));
      socket.destroy();
    }, o.timeoutMs ?? 30_000);
    const expect = async (codes: readonly number[], what: string): Promise<SmtpReply> => {
      const r = await reader.next();
      if (!codes.includes(r.code)) throw new SmtpError(`SMTP ${what}: ${r.code} ${r.lines.join(' ')}`, r.code);
      return r;
    };
    const command = async (line: string, codes: readonly number[], what = line.split(' ')[0]!): Promise<SmtpReply> => {
      if (/[\r\n]/.test(line)) throw new SmtpError('SMTP command contains a line break', null);
      socket.write(`${line}\r\n`);
      return expect(codes, what);
    };
    try {
      await expect([220], 'greeting');
      const helo = o.heloName ?? 'hotline.invalid';
      let ehlo = await command(`EHLO ${helo}`, [250]);
      const offers = (r: SmtpReply, ext: string) => r.lines.some((l) => l.toUpperCase().split(' ')[0] === ext);
      let secure = o.security === 'tls';
      if (o.security === 'starttls') {
        if (!offers(ehlo, 'STARTTLS')) throw new SmtpError(`SMTP ${o.host} does not offer STARTTLS`, null);
        await command('STARTTLS', [220]);
        socket.removeAllListeners('data');
        socket.removeAllListeners('close');
        socket.removeAllListeners('error');
        const upgraded = tls.connect({ socket, servername: o.host, ...o.tls });
        reader = new ReplyReader();
        attach(upgraded, reader);
        await new Promise<void>((resolve, reject) => {
          upgraded.once('secureConnect', resolve);
          upgraded.once('error', reject);
        }).catch((e: Error) => {
          throw new SmtpError(`SMTP ${o.host} TLS: ${e.message}`, null);
        });
        socket = upgraded;
        secure = true;
        // RFC 3207 §4.2: the client MUST discard knowledge obtained from the server before TLS.
        ehlo = await command(`EHLO ${helo}`, [250]);
      }
      if (o.username !== undefined) {
        if (!secure && !o.allowPlainAuth) throw new SmtpError('refusing to send SMTP credentials over a clear connection', null);
        const auth = ehlo.lines.find((l) => l.toUpperCase().startsWith('AUTH'));
        if (!auth || !auth.toUpperCase().split(/[ =]/).includes('PLAIN')) throw new SmtpError(`SMTP ${o.host} does not offer AUTH PLAIN`, null);
        const token = Buffer.from(`\0${o.username}\0${o.password ?? ''}`, 'utf8').toString('base64');
        socket.write(`AUTH PLAIN ${token}\r\n`);
        await expect([235], 'AUTH');
      }
      await command(`MAIL FROM:<${env.from}>`, [250]);
      for (const rcpt of env.to) await command(`RCPT TO:<${rcpt}>`, [250, 251], `RCPT TO ${rcpt}`);
      await command('DATA', [354]);
      socket.write(dataBlock(env.message));
      const done = await expect([250], 'message');
      socket.write('QUIT\r\n');
      await reader.next().catch(() => undefined);
      return done.lines.join(' ');
    } finally {
      deadline.cancel();
      socket.destroy();
    }
  }
}
