/**
 * An SMS gateway for tests and demos, speaking the protocol of sms-gateway.ts: a real HTTP
 * server that checks the bearer token and the number, cuts the text into segments the way a
 * handset receives them — its own implementation of TS 23.040 concatenation, independent of
 * sms-segments.ts (70 UCS-2 units alone, 67 with the concatenation header; 160/153 for GSM-7
 * text) — and keeps every message with its segments. It can be told to fail the next N requests
 * (503) or to rate-limit (429), as real gateways do.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimSms {
  id: string;
  to: string;
  text: string;
  clientRef: string | null;
  encoding: 'gsm7' | 'ucs2';
  segments: string[];
}

const GSM7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/u;

function segment(text: string): { encoding: 'gsm7' | 'ucs2'; segments: string[] } {
  const gsm = GSM7.test(text);
  const cost = (ch: string): number => (gsm ? ('^{}\\[~]|€'.includes(ch) ? 2 : 1) : ch.length);
  const [single, multi] = gsm ? [160, 153] : [70, 67];
  const chars = [...text];
  if (chars.reduce((n, c) => n + cost(c), 0) <= single) return { encoding: gsm ? 'gsm7' : 'ucs2', segments: [text] };
  const out: string[] = [];
  let cur = '';
  let n = 0;
  for (const c of chars) {
    if (n + cost(c) > multi) {
      out.push(cur);
      cur = '';
      n = 0;
    }
    cur += c;
    n += cost(c);
  }
  out.push(cur);
  return { encoding: gsm ? 'gsm7' : 'ucs2', segments: out };
}

export class SmsGatewaySimulator {
  readonly token = 'sms-sim-token';
  readonly messages: SimSms[] = [];
  private server: Server | null = null;
  private failNext = 0;
  private limitNext = 0;
  private seq = 0;

  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    if (!a) throw new Error('SMS gateway simulator not started');
    return `http://127.0.0.1:${a.port}`;
  }

  /** The next `n` requests answer 503. */
  failRequests(n: number): void {
    this.failNext = n;
  }

  /** The next `n` requests answer 429. */
  rateLimit(n: number): void {
    this.limitNext = n;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        const err = (status: number, code: string, message: string) => reply(status, { error: { code, message } });
        if (req.method !== 'POST' || req.url !== '/v1/sms/messages') return err(404, 'NOT_FOUND', 'no such resource');
        if (req.headers.authorization !== `Bearer ${this.token}`) return err(401, 'UNAUTHORIZED', 'bad token');
        if (this.failNext > 0) {
          this.failNext--;
          return err(503, 'UNAVAILABLE', 'SMSC link down');
        }
        if (this.limitNext > 0) {
          this.limitNext--;
          return err(429, 'RATE_LIMITED', 'too many messages');
        }
        let body: { to?: unknown; text?: unknown; clientRef?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
        } catch {
          return err(400, 'BAD_REQUEST', 'not JSON');
        }
        if (typeof body.to !== 'string' || !/^1[3-9]\d{9}$/.test(body.to)) return err(400, 'INVALID_NUMBER', 'not a mobile number');
        if (typeof body.text !== 'string' || body.text === '') return err(400, 'EMPTY_TEXT', 'no text');
        if (!/^【[^】]{2,16}】/.test(body.text)) return err(400, 'NO_SIGNATURE', 'text must start with a 【signature】');
        const id = `sms_${String(++this.seq).padStart(6, '0')}`;
        const s = segment(body.text);
        this.messages.push({ id, to: body.to, text: body.text, clientRef: typeof body.clientRef === 'string' ? body.clientRef : null, ...s });
        reply(202, { id, to: body.to, segments: s.segments.length, encoding: s.encoding });
      });
    });
    server.unref();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
