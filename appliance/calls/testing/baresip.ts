/**
 * baresip as a real SIP peer in tests (shared/NATIVE-PROBE.md §5): headless (no stdio.so),
 * controlled over ctrl_tcp (netstring JSON), audio from an aufile WAV padded with silence,
 * every call recorded by sndfile into its own folder, SIP and RTP on ports checked free.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface BaresipEvent {
  type: string;
  param?: string;
  peeruri?: string;
  [k: string]: unknown;
}

async function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A block of `n` consecutive ports free for UDP and TCP, searched from a pid-dependent base. */
export async function freePortBlock(n: number, from = 30000 + ((process.pid * 37) % 20000)): Promise<number> {
  for (let base = from; base < 64000; base += n + 3) {
    let ok = true;
    for (let p = base; p < base + n && ok; p++) ok = (await udpFree(p)) && (await tcpFree(p));
    if (ok) return base;
  }
  throw new Error('no free port block');
}

/** 8 kHz mono S16LE WAV: a sine at `freq` for `toneMs`, then `silenceMs` of silence (aufile ends the call at EOF). */
export function writeToneWav(file: string, freq: number, toneMs: number, silenceMs: number): void {
  const n = ((toneMs + silenceMs) * 8000) / 1000;
  const toneN = (toneMs * 8000) / 1000;
  const data = Buffer.alloc(n * 2);
  for (let i = 0; i < toneN; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / 8000)), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  writeFileSync(file, Buffer.concat([h, data]));
}

export class Baresip {
  readonly events: BaresipEvent[] = [];
  private buf = '';
  private token = 0;
  private readonly waiters: Array<{ match: (e: BaresipEvent) => boolean; resolve: (e: BaresipEvent) => void }> = [];
  private readonly replies = new Map<string, (r: Record<string, unknown>) => void>();

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly sipPort: number,
    readonly recDir: string,
    private readonly proc: ChildProcess,
    private readonly ctrl: net.Socket,
  ) {
    ctrl.on('data', (d) => this.onData(d.toString('utf8')));
  }

  /**
   * Start a baresip UA: `sip:<user>@127.0.0.1:<sipPort>`, auto-answer when `answer`; no registration,
   * unless `register` names a registrar (`host:port`): then the AOR is `sip:<user>@<registrar>`
   * and baresip REGISTERs there (Digest with `password`, every `regint` s) and answers its challenges.
   */
  static async start(o: {
    name: string;
    dir: string;
    user: string;
    wav: string;
    answer: boolean;
    ports: number;
    register?: { registrar: string; password: string; regint?: number };
    /** baresip quits after this many seconds (`-t`, default 60): a safety net for a hung test. */
    quitAfterS?: number;
    /** Loopback address the UA binds and advertises (default 127.0.0.1; 127.0.0.2 is another source). */
    host?: string;
  }): Promise<Baresip> {
    const host = o.host ?? '127.0.0.1';
    const dir = path.join(o.dir, o.name);
    const recDir = path.join(dir, 'rec');
    mkdirSync(recDir, { recursive: true });
    // ports: SIP (UDP/TCP), +1 baresip's own TLS listener, +2 ctrl_tcp, +4..+11 RTP: 12 ports per UA.
    const sipPort = o.ports;
    const ctrlPort = o.ports + 2;
    const config = [
      `sip_listen ${host}:${sipPort}`,
      // Advertise 127.0.0.1 in SDP too (else the eth0 address, and the engine drops RTP from an unsignalled source, S12).
      `net_interface ${host}`,
      'audio_player alsa,null',
      'audio_alert alsa,null',
      `audio_source aufile,${o.wav}`,
      `rtp_ports ${o.ports + 4}-${o.ports + 11}`,
      'module_path /usr/lib/baresip/modules',
      'module g711.so',
      'module aufile.so',
      'module alsa.so',
      'module sndfile.so',
      'module_tmp uuid.so',
      'module_tmp account.so',
      'module_app menu.so',
      'module_app ctrl_tcp.so',
      `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      `snd_path ${recDir}`,
      'sip_trans_def udp',
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'config'), config);
    const aor = o.register ? `<sip:${o.user}@${o.register.registrar}>;auth_pass=${o.register.password};regint=${o.register.regint ?? 600}` : `<sip:${o.user}@${host}:${sipPort}>;regint=0`;
    writeFileSync(path.join(dir, 'accounts'), `${aor};answermode=${o.answer ? 'auto' : 'manual'};audio_codecs=pcma,pcmu\n`);
    const proc = spawn('baresip', ['-f', dir, '-t', String(o.quitAfterS ?? 60)], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout?.resume();
    proc.stderr?.resume();
    let ctrl: net.Socket | null = null;
    for (let i = 0; i < 100 && !ctrl; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ctrl = await new Promise<net.Socket | null>((resolve) => {
        const s = net.connect(ctrlPort, '127.0.0.1');
        s.once('connect', () => resolve(s));
        s.once('error', () => resolve(null));
      });
    }
    if (!ctrl) {
      proc.kill('SIGKILL');
      throw new Error(`baresip ${o.name} did not open ctrl_tcp on ${ctrlPort}`);
    }
    return new Baresip(o.name, dir, sipPort, recDir, proc, ctrl);
  }

  private onData(text: string): void {
    this.buf += text;
    for (;;) {
      const colon = this.buf.indexOf(':');
      if (colon < 0) return;
      const len = Number(this.buf.slice(0, colon));
      if (!Number.isFinite(len) || this.buf.length < colon + 1 + len + 1) return;
      const json = this.buf.slice(colon + 1, colon + 1 + len);
      this.buf = this.buf.slice(colon + 1 + len + 1);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(json) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg['event']) {
        const e = msg as BaresipEvent;
        this.events.push(e);
        for (const w of [...this.waiters]) {
          if (w.match(e)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(e);
          }
        }
      } else if (msg['response'] && typeof msg['token'] === 'string') {
        this.replies.get(msg['token'])?.(msg);
        this.replies.delete(msg['token']);
      }
    }
  }

  command(command: string, params = ''): Promise<Record<string, unknown>> {
    const token = `t${++this.token}`;
    const body = JSON.stringify({ command, params, token });
    this.ctrl.write(`${Buffer.byteLength(body)}:${body},`);
    return new Promise((resolve) => this.replies.set(token, resolve));
  }

  /** The first event (already seen or coming) of `type`, within `ms`. */
  waitEvent(type: string, ms = 10_000, pred: (e: BaresipEvent) => boolean = () => true): Promise<BaresipEvent> {
    const seen = this.events.find((e) => e.type === type && pred(e));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no ${type} within ${ms} ms (saw ${this.events.map((e) => e.type).join(',')})`)), ms);
      this.waiters.push({
        match: (e) => e.type === type && pred(e),
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  /** Recorded files: `-dec.wav` is what this UA heard. */
  recordings(): string[] {
    return readdirSync(this.recDir).map((f) => path.join(this.recDir, f));
  }

  async stop(): Promise<void> {
    await Promise.race([this.command('quit').catch(() => undefined), new Promise((r) => setTimeout(r, 500))]);
    this.ctrl.destroy();
    await new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null) return resolve();
      const t = setTimeout(() => {
        this.proc.kill('SIGKILL');
        resolve();
      }, 1500);
      this.proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
