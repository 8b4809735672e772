/**
 * DahdiCard: the real card driver, CardDriver over the DAHDI kernel interface (dahdi/user.h)
 * through koffi. The daemon loads it with a dynamic import only when configured for hardware.
 *
 * - Absence is a state, not a crash: `presence()` says `{ kind: 'absent', reason }` when there is
 *   no /dev/dahdi, `probe()` then returns no cards, and `openSpan` refuses with a DriverError
 *   naming the missing device (errno ENOENT).
 * - Span framing, line code and channel signalling are set by dahdi_cfg from system.conf, as on
 *   any DAHDI system; `openSpan` reads the span's `lineconfig` (DAHDI_SPANSTAT) and refuses a
 *   SpanConfig that does not match it (CCS vs CAS, HDB3 vs AMI, CRC-4) instead of running R2 on
 *   a PRI span.
 * - Channel numbers: a span's bearers are `basechan + timeslot − 1` (sysfs `basechan`, else
 *   DAHDI's default packing of 31 channels per E1).
 * - Span status (alarms and the dahdi_spaninfo counters) is read with DAHDI_SPANSTAT on
 *   /dev/dahdi/ctl every `statusPollMs` on the injected Clock, and at once after a channel
 *   reports DAHDI_EVENT_ALARM / NOALARM; every change of the alarm set fires `alarm`.
 */
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../appliance/core/clock.js';
import type { Logger } from '../../appliance/core/log.js';
import {
  DriverError,
  E1_BEARER_TIMESLOTS,
  E1_SIGNALLING_TIMESLOT,
  E1_TIMESLOTS,
  type AnalogPort,
  type CardDriver,
  type CardInfo,
  type Span,
  type SpanAlarm,
  type SpanConfig,
  type SpanStatus,
} from '../types.js';
import { ChannelFd, DahdiDChannel, DahdiTdmChannel } from './channels.js';
import { loadLibc, O_NONBLOCK, O_RDWR, offsetOf, type Libc } from './ffi.js';
import { IoLoop } from './io-loop.js';
import { DEFAULT_ROOTS, probeDahdi, type DahdiPresence, type DahdiRoots, type DahdiSpanInfo } from './probe.js';
import * as H from './user-h.js';

const ENOENT = 2;

export interface DahdiCardOptions extends Partial<DahdiRoots> {
  /** How often span status is read (default 1000 ms). */
  statusPollMs?: number;
}

export interface DahdiCardDeps {
  clock: Clock;
  log: Logger;
  /** Defaults to the system libc (loaded on first openSpan, never for probing). */
  libc?: () => Libc;
}

/** The dahdi_spaninfo fields a SpanStatus is made of, decoded from a DAHDI_SPANSTAT buffer. */
export function decodeSpanInfo(buf: Uint8Array): { alarms: number; bpv: number; crc4: number; ebit: number; fas: number; irqmisses: number; syncsrc: number; lineconfig: number } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const at = (f: string): number => dv.getInt32(offsetOf('spaninfo', f), true);
  return {
    alarms: at('alarms'),
    bpv: at('bpvcount'),
    crc4: at('crc4count'),
    ebit: at('ebitcount'),
    fas: at('fascount'),
    irqmisses: at('irqmisses'),
    syncsrc: at('syncsrc'),
    lineconfig: at('lineconfig'),
  };
}

/** DAHDI alarm bits → our alarm names. */
export function alarmsOf(bits: number): SpanAlarm[] {
  const out: SpanAlarm[] = [];
  if (bits & H.DAHDI_ALARM.RED) out.push('red');
  if (bits & H.DAHDI_ALARM.YELLOW) out.push('yellow');
  if (bits & H.DAHDI_ALARM.BLUE) out.push('blue');
  if (bits & H.DAHDI_ALARM.LOS) out.push('los');
  return out;
}

/** Why `lineconfig` (DAHDI_CONFIG_* bits) does not suit `cfg`, or null when it does. */
export function lineConfigMismatch(lineconfig: number, cfg: SpanConfig): string | null {
  const ccs = (lineconfig & H.DAHDI_CONFIG.CCS) !== 0;
  if (ccs !== (cfg.framing === 'ccs')) return `span is configured ${ccs ? 'CCS' : 'CAS'} in system.conf, asked for ${cfg.framing.toUpperCase()}`;
  const hdb3 = (lineconfig & H.DAHDI_CONFIG.HDB3) !== 0;
  if (hdb3 !== (cfg.lineCode === 'hdb3')) return `span line code is ${hdb3 ? 'HDB3' : 'AMI'} in system.conf, asked for ${cfg.lineCode.toUpperCase()}`;
  const crc4 = (lineconfig & H.DAHDI_CONFIG.CRC4) !== 0;
  if (crc4 !== cfg.crc4) return `span CRC-4 is ${crc4 ? 'on' : 'off'} in system.conf, asked ${cfg.crc4 ? 'on' : 'off'}`;
  return null;
}

export class DahdiSpan implements Span {
  readonly bChannels: readonly DahdiTdmChannel[];
  readonly dChannel: DahdiDChannel | null;
  private readonly events = new EventEmitter();
  private statusNow: SpanStatus;
  private readonly poller: TimerHandle;
  private closed = false;

  constructor(
    readonly spanNo: number,
    readonly config: SpanConfig,
    private readonly fds: { ctl: number; channels: ChannelFd[] },
    parts: { bChannels: DahdiTdmChannel[]; dChannel: DahdiDChannel | null },
    private readonly readStatus: () => SpanStatus,
    private readonly onClose: () => void,
    clock: Clock,
    pollMs: number,
  ) {
    this.bChannels = parts.bChannels;
    this.dChannel = parts.dChannel;
    this.statusNow = readStatus();
    this.poller = clock.setInterval(() => this.refresh(), pollMs);
  }

  status(): SpanStatus {
    return this.statusNow;
  }

  /** Re-read DAHDI_SPANSTAT now (also done on DAHDI_EVENT_ALARM/NOALARM). */
  refresh(): void {
    if (this.closed) return;
    const before = this.statusNow.alarms.join(',');
    this.statusNow = this.readStatus();
    if (this.statusNow.alarms.join(',') !== before) this.events.emit('alarm', this.statusNow);
  }

  on(event: 'alarm', fn: (s: SpanStatus) => void): this {
    this.events.on(event, fn);
    return this;
  }

  off(event: 'alarm', fn: (s: SpanStatus) => void): this {
    this.events.off(event, fn);
    return this;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.poller.cancel();
    for (const c of this.fds.channels) c.close();
    this.events.removeAllListeners();
    this.onClose();
  }
}

export class DahdiCard implements CardDriver {
  readonly kind = 'dahdi' as const;
  private readonly roots: DahdiRoots;
  private readonly pollMs: number;
  private libcNow: Libc | null = null;
  private loop: IoLoop | null = null;
  private ctlFd = -1;
  private readonly open = new Map<number, DahdiSpan>();

  constructor(
    opts: DahdiCardOptions,
    private readonly deps: DahdiCardDeps,
  ) {
    this.roots = { ...DEFAULT_ROOTS, ...opts };
    this.pollMs = opts.statusPollMs ?? 1000;
  }

  /** Whether DAHDI is there, and which spans it reports. */
  presence(): DahdiPresence {
    return probeDahdi(this.roots);
  }

  async probe(): Promise<CardInfo[]> {
    const p = this.presence();
    if (p.kind === 'absent' || p.spans.length === 0) return [];
    const e1 = p.spans.filter((s) => s.spanType === null || s.spanType === 'E1');
    if (e1.length === 0) return [];
    return [{ name: `DAHDI: ${e1[0]?.desc ?? e1[0]?.name ?? ''}`, kind: 'dahdi', spans: e1.map((s) => s.spanNo), analogPorts: [] }];
  }

  async openSpan(spanNo: number, config: SpanConfig): Promise<DahdiSpan> {
    const info = this.requireSpan(spanNo);
    if (this.open.has(spanNo)) throw new DriverError('DAHDI_SPANSTAT', null, `span ${spanNo} is already open`);
    const libc = this.libc();
    const readStatus = (): { status: SpanStatus; lineconfig: number } => {
      const buf = new Uint8Array(H.SIZEOF_DAHDI_SPANINFO);
      new DataView(buf.buffer).setInt32(0, spanNo, true);
      if (libc.ioctl(this.ctl(libc), H.DAHDI_SPANSTAT, buf) < 0) throw new DriverError('DAHDI_SPANSTAT', libc.errno(), `DAHDI_SPANSTAT failed for span ${spanNo}`);
      const s = decodeSpanInfo(buf);
      return {
        lineconfig: s.lineconfig,
        status: { spanNo, alarms: alarmsOf(s.alarms), bpvCount: s.bpv, crc4Count: s.crc4, ebitCount: s.ebit, fasCount: s.fas, slips: 0, syncSrc: s.syncsrc },
      };
    };
    const mismatch = lineConfigMismatch(readStatus().lineconfig, config);
    if (mismatch) throw new DriverError('DAHDI_SPANSTAT', null, `span ${spanNo}: ${mismatch}`);

    const base = info.baseChan ?? (spanNo - 1) * (E1_TIMESLOTS - 1) + 1;
    const hasD = config.framing === 'ccs' && ['pri_cpe', 'pri_net', 'ss7'].includes(config.signalling);
    const timeslots = config.framing === 'cas' || hasD ? E1_BEARER_TIMESLOTS : [...E1_BEARER_TIMESLOTS, E1_SIGNALLING_TIMESLOT].sort((a, b) => a - b);
    const loop = (this.loop ??= new IoLoop(libc));
    const fds: ChannelFd[] = [];
    let span: DahdiSpan | null = null;
    const onEvent = (e: number): void => {
      if (e === H.DAHDI_EVENT.ALARM || e === H.DAHDI_EVENT.NOALARM) span?.refresh();
    };
    try {
      const bChannels = timeslots.map((ts) => {
        const fd = new ChannelFd(libc, this.roots.devRoot, base + ts - 1);
        fds.push(fd);
        return new DahdiTdmChannel(fd, spanNo, ts, config.framing === 'cas', loop, onEvent);
      });
      let dChannel: DahdiDChannel | null = null;
      if (hasD) {
        const fd = new ChannelFd(libc, this.roots.devRoot, base + E1_SIGNALLING_TIMESLOT - 1);
        fds.push(fd);
        dChannel = new DahdiDChannel(fd, libc, spanNo, loop, onEvent);
      }
      span = new DahdiSpan(
        spanNo,
        { ...config },
        { ctl: this.ctlFd, channels: fds },
        { bChannels, dChannel },
        () => readStatus().status,
        () => {
          for (const f of fds) loop.remove(f.fd);
          this.open.delete(spanNo);
        },
        this.deps.clock,
        this.pollMs,
      );
    } catch (err) {
      for (const f of fds) {
        loop.remove(f.fd);
        f.close();
      }
      throw err;
    }
    this.open.set(spanNo, span);
    this.deps.log.info({ spanNo, baseChan: base, channels: fds.length }, 'dahdi span opened');
    return span;
  }

  async openAnalogPort(portNo: number): Promise<AnalogPort> {
    this.requirePresent();
    // TODO(#5): FXS/FXO ports (DAHDI_HOOK, DAHDI_SETPOLARITY, ring cadence) on analog spans.
    throw new DriverError('DAHDI_SPECIFY', null, `analog port ${portNo}: analog ports are not supported by the DAHDI driver yet`);
  }

  async close(): Promise<void> {
    for (const s of [...this.open.values()]) await s.close();
    this.loop?.stop();
    this.loop = null;
    if (this.ctlFd >= 0 && this.libcNow) this.libcNow.close(this.ctlFd);
    this.ctlFd = -1;
  }

  private requirePresent(): DahdiSpanInfo[] {
    const p = this.presence();
    if (p.kind === 'absent') throw new DriverError('open', ENOENT, p.reason);
    return [...p.spans];
  }

  private requireSpan(spanNo: number): DahdiSpanInfo {
    const spans = this.requirePresent();
    const info = spans.find((s) => s.spanNo === spanNo);
    if (!info) throw new DriverError('DAHDI_SPANSTAT', null, `no DAHDI span ${spanNo} (spans present: ${spans.map((s) => s.spanNo).join(', ') || 'none'})`);
    return info;
  }

  private libc(): Libc {
    return (this.libcNow ??= (this.deps.libc ?? loadLibc)());
  }

  private ctl(libc: Libc): number {
    if (this.ctlFd < 0) {
      const fd = libc.open(`${this.roots.devRoot}/ctl`, O_RDWR | O_NONBLOCK);
      if (fd < 0) throw new DriverError('open', libc.errno(), `cannot open ${this.roots.devRoot}/ctl`);
      this.ctlFd = fd;
    }
    return this.ctlFd;
  }
}
