/**
 * A fake SMTP relay for tests (RFC 5321 server side, plaintext): greets 220, answers EHLO with
 * AUTH PLAIN, checks the AUTH PLAIN credentials when given, rejects recipients in `rejectDomain`
 * with 550, collects DATA until CRLF.CRLF, undoes dot-stuffing and keeps each message with its
 * envelope. Port 0, 127.0.0.1, unref'd.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message as sent, dot-stuffing undone, CRLF line ends. */
  data: string;
  user: string | null;
}

export interface FakeSmtp {
  port: number;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

export async function startFakeSmtp(opts: { user?: string; password?: string; rejectDomain?: string } = {}): Promise<FakeSmtp> {
  const mails: ReceivedMail[] = [];
  const sockets = new Set<net.Socket>();
  let seq = 0;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.setEncoding('utf8');
    let buf = '';
    let inData = false;
    let data: string[] = [];
    let mail: { from: string; to: string[]; user: string | null } = { from: '', to: [], user: null };
    let user: string | null = null;
    const say = (line: string) => s.write(`${line}\r\n`);
    say('220 fake.smtp ESMTP ready');
    s.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            mails.push({ ...mail, data: `${data.join('\r\n')}\r\n` });
            say(`250 2.0.0 Ok: queued as Q${++seq}`);
            data = [];
          } else data.push(line.startsWith('.') ? line.slice(1) : line);
          continue;
        }
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') s.write('250-fake.smtp\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n');
        else if (verb === 'AUTH') {
          const parts = Buffer.from(line.split(' ')[2] ?? '', 'base64').toString('utf8').split('\0');
          if (parts[1] === opts.user && parts[2] === opts.password) {
            user = parts[1] ?? null;
            say('235 2.7.0 Authentication successful');
          } else say('535 5.7.8 Authentication credentials invalid');
        } else if (verb === 'MAIL') {
          if (opts.user !== undefined && user === null) say('530 5.7.0 Authentication required');
          else {
            mail = { from: /<([^>]*)>/.exec(line)?.[1] ?? '', to: [], user };
            say('250 2.1.0 Ok');
          }
        } else if (verb === 'RCPT') {
          const to = /<([^>]*)>/.exec(line)?.[1] ?? '';
          if (opts.rejectDomain && to.endsWith(`@${opts.rejectDomain}`)) say('550 5.1.1 Recipient address rejected');
          else {
            mail.to.push(to);
            say('250 2.1.5 Ok');
          }
        } else if (verb === 'DATA') {
          inData = true;
          say('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'QUIT') {
          say('221 2.0.0 Bye');
          s.end();
        } else say('502 5.5.2 Command not recognized');
      }
    });
  });
  server.unref();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    mails,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
