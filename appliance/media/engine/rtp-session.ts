/**
 * One RTP leg inside a media worker: inbound packets → validation → latching → jitter buffer
 * or RFC 4733 receiver; every tick one 20 ms frame (or a telephone-event packet) out; RTCP
 * SR/RR every 5 s on port + 1 (RFC 3550 §6.2, fixed interval: one peer per session, so the
 * §6.3 randomisation buys nothing).
 *
 * Latching (symmetric RTP, RFC 4961 §3: "the RTP source address equals the destination
 * address") is limited to the signalled remote (S12): a packet from exactly the signalled
 * address is always accepted and locks the leg to it; before anything is locked a packet from
 * the signalled IP on another port (a NAT rewriting the port) may lock instead. Once locked,
 * packets from any other source are dropped and counted (`foreignDropped`), so a third party
 * cannot inject audio or hijack the stream. With no remote signalled nothing is accepted.
 *
 * NAT (issue 3: phones behind NAT; "comedia", RFC 4961 §3 symmetric RTP): a phone behind a NAT
 * signals its private address, and its packets arrive from the NAT's public one. While nothing
 * is locked, packets from another source count towards latching onto it: after `latchPackets`
 * consecutive packets from one source carrying the SSRC of the first packet that arrived from
 * anywhere, the leg locks to that source and sends there. A packet from another source restarts
 * the count and a packet with another SSRC never counts, so a spoofed packet cannot steer the
 * stream; once locked the S12 rule above applies unchanged (RTCP is then taken from the latched
 * address too). A packet from
 * exactly the signalled address still locks at once (the phone was reachable after all).
 *
 * Bad input is counted, never thrown: malformed RTP (`malformed`), payloads over 120 ms
 * (`oversized`), payload types that are neither the codec nor telephone-event
 * (`unknownPayload`), an SSRC change without signalling (`ssrcChanges`; the jitter buffer
 * resyncs on the timestamp jump).
 */
import { randomInt } from 'node:crypto';
import { FRAME_SAMPLES, PAYLOAD_TYPE, type G711Law } from '../codec/g711.js';
import { TelephoneEventReceiver, encode as encodeEvent, sendSchedule, type Digit, type ScheduledEventPacket } from '../rtp/dtmf-4733.js';
import { JitterBuffer } from '../rtp/jitter-buffer.js';
import { estimateQuality } from '../rtp/mos.js';
import { decode as decodeRtp, encodedSize, encodeInto, type RtpPacket } from '../rtp/packet.js';
import * as rtcp from '../rtp/rtcp.js';
import { ReceptionStats } from '../rtp/seq.js';
import type { Address, LegStats, WorkerEvent } from './protocol.js';

/** A bound UDP socket, as the session sees it (tests pass a fake). */
export interface UdpPort {
  send(buf: Uint8Array, port: number, address: string): void;
  close(): void;
}

export interface RtpSessionOptions {
  id: string;
  codec: G711Law;
  telephoneEventPt: number;
  remote: Address | null;
  /** Report `endpoint.timeout` after this long without RTP (0 = never). */
  rtpTimeoutMs: number;
  /** Wall clock for RTCP NTP timestamps. */
  wallNow: () => number;
  /** Consecutive packets from one unsignalled source (first SSRC only) before latching to it (NAT); 0 = never. Default 5. */
  latchPackets?: number;
  emit: (e: WorkerEvent) => void;
}

const MAX_PAYLOAD = 960; // 120 ms of G.711
export const DEFAULT_LATCH_PACKETS = 5;
const RTCP_INTERVAL_MS = 5000;
const CNAME_PREFIX = 'media@hotline';

export class RtpSession {
  readonly id: string;
  readonly law: G711Law;
  private readonly pt: number;
  private readonly eventPt: number;
  private remote: Address | null;
  private locked: Address | null = null;
  /** NAT latching in progress: the unsignalled source counted so far, and the SSRC that arrived first. */
  private latch: { address: string; port: number; count: number } | null = null;
  private firstSsrc: number | null = null;
  private readonly ssrc = randomInt(1, 0xffffffff);
  private seq = randomInt(0, 0xffff);
  private ts = randomInt(0, 0xffffffff);
  private remoteSsrc: number | null = null;
  private readonly jb: JitterBuffer;
  private readonly reception = new ReceptionStats();
  private readonly events = new TelephoneEventReceiver();
  private readonly dtmfQueue: Array<{ digit: string; durationMs: number }> = [];
  private dtmf: { schedule: ScheduledEventPacket[]; next: number; startTs: number; elapsedMs: number } | null = null;
  private readonly pkt: RtpPacket;
  private lastRtpMs: number;
  private timedOut = false;
  private nextRtcpMs: number;
  private lastSr: { middle: number; arrivalMs: number } | null = null;
  private rttMs: number | null = null;
  private octetsSent = 0;
  /** The frame pulled from the jitter buffer this tick. */
  readonly input = new Uint8Array(FRAME_SAMPLES);
  private readonly opts: RtpSessionOptions;
  readonly counters = {
    packetsSent: 0,
    malformed: 0,
    foreignDropped: 0,
    unknownPayload: 0,
    oversized: 0,
    ssrcChanges: 0,
    dtmfReceived: 0,
    /** Times the leg latched onto an unsignalled source (NAT). */
    natLatched: 0,
  };

  constructor(
    opts: RtpSessionOptions,
    private readonly rtpPort: UdpPort,
    private readonly rtcpPort: UdpPort,
    nowMs: number,
  ) {
    this.opts = opts;
    this.id = opts.id;
    this.law = opts.codec;
    this.pt = PAYLOAD_TYPE[opts.codec];
    this.eventPt = opts.telephoneEventPt;
    this.remote = opts.remote;
    this.jb = new JitterBuffer({ law: opts.codec });
    this.lastRtpMs = nowMs;
    this.nextRtcpMs = nowMs + RTCP_INTERVAL_MS;
    this.pkt = { marker: false, payloadType: this.pt, sequenceNumber: 0, timestamp: 0, ssrc: this.ssrc, csrc: [], extension: null, payload: this.input, paddingSize: 0 };
  }

  /** A new signalled remote (re-INVITE): the old lock no longer applies. */
  setRemote(remote: Address): void {
    this.remote = remote;
    this.locked = null;
    this.latch = null;
    this.firstSsrc = null;
  }

  /** Where the leg sends now: the latched source, else the signalled remote. */
  get sendingTo(): Address | null {
    return this.destination();
  }

  private accept(from: Address, ssrc: number): boolean {
    const r = this.remote;
    if (!r) return false;
    if (from.address === r.address && from.port === r.port) {
      this.locked = { ...from };
      return true;
    }
    if (this.locked) return from.address === this.locked.address && from.port === this.locked.port;
    if (from.address === r.address) {
      this.locked = { ...from };
      return true;
    }
    return this.latchBehindNat(from, ssrc);
  }

  /** NAT: count consecutive packets from one unsignalled source with the first SSRC; lock after `latchPackets`. */
  private latchBehindNat(from: Address, ssrc: number): boolean {
    const need = this.opts.latchPackets ?? DEFAULT_LATCH_PACKETS;
    if (need <= 0) return false;
    this.firstSsrc ??= ssrc;
    if (ssrc !== this.firstSsrc) return false;
    const l = this.latch;
    if (l && l.address === from.address && l.port === from.port) l.count++;
    else this.latch = { address: from.address, port: from.port, count: 1 };
    if ((this.latch?.count ?? 0) < need) return false;
    this.locked = { address: from.address, port: from.port };
    this.latch = null;
    this.counters.natLatched++;
    return true;
  }

  /** One datagram on the RTP port. */
  onRtp(buf: Uint8Array, from: Address, nowMs: number): void {
    let p: RtpPacket;
    try {
      p = decodeRtp(buf);
    } catch {
      this.counters.malformed++;
      return;
    }
    if (!this.accept(from, p.ssrc)) {
      this.counters.foreignDropped++;
      return;
    }
    if (p.payload.length > MAX_PAYLOAD) {
      this.counters.oversized++;
      return;
    }
    if (p.payloadType !== this.pt && p.payloadType !== this.eventPt) {
      this.counters.unknownPayload++;
      return;
    }
    if (this.remoteSsrc !== null && p.ssrc !== this.remoteSsrc) this.counters.ssrcChanges++;
    this.remoteSsrc = p.ssrc;
    this.lastRtpMs = nowMs;
    this.timedOut = false;
    this.reception.update(p.sequenceNumber, p.timestamp, nowMs);
    if (p.payloadType === this.pt) {
      this.jb.push(p.timestamp, p.payload, nowMs);
      return;
    }
    let reports;
    try {
      reports = this.events.push(p.timestamp, p.payload, nowMs);
    } catch {
      this.counters.malformed++;
      return;
    }
    for (const r of reports) if (r.kind === 'end') this.reportDigit(r.digit, r.durationMs);
  }

  private reportDigit(digit: Digit, durationMs: number): void {
    this.counters.dtmfReceived++;
    this.opts.emit({ type: 'endpoint.dtmf', endpointId: this.id, digit, durationMs, source: 'rfc4733' });
  }

  /** One datagram on the RTCP port. */
  onRtcp(buf: Uint8Array, from: Address, nowMs: number): void {
    if (!this.remote || (from.address !== this.remote.address && from.address !== this.locked?.address)) {
      this.counters.foreignDropped++;
      return;
    }
    let packets: rtcp.RtcpPacket[];
    try {
      packets = rtcp.decode(buf);
    } catch {
      this.counters.malformed++;
      return;
    }
    const arrival = rtcp.ntpFromUnixMs(this.opts.wallNow());
    for (const p of packets) {
      if (p.type === 'sr') this.lastSr = { middle: rtcp.middle32(p.ntpSec, p.ntpFrac), arrivalMs: nowMs };
      if (p.type !== 'sr' && p.type !== 'rr') continue;
      const mine = p.reports.find((b) => b.ssrc === this.ssrc);
      if (!mine) continue;
      const rtt = rtcp.roundTripMs(rtcp.middle32(arrival.ntpSec, arrival.ntpFrac), mine);
      if (rtt !== null) this.rttMs = rtt;
      this.opts.emit({
        type: 'endpoint.rtcp',
        endpointId: this.id,
        fractionLost: mine.fractionLost / 256,
        cumulativeLost: mine.cumulativeLost,
        jitterMs: mine.jitter / 8,
        rttMs: this.rttMs,
      });
    }
  }

  /** Take this tick's received frame into `input`. */
  pull(): Uint8Array {
    const f = this.jb.pop();
    this.input.set(f.payload.subarray(0, FRAME_SAMPLES));
    return this.input;
  }

  sendDtmf(digits: readonly string[], durationMs: number): void {
    for (const digit of digits) this.dtmfQueue.push({ digit, durationMs });
  }

  private destination(): Address | null {
    return this.locked ?? this.remote;
  }

  /** Send this tick's frame (audio, or the telephone-event packets due, which replace audio). */
  send(frame: Uint8Array): void {
    const dest = this.destination();
    const ts = this.ts;
    this.ts = (this.ts + FRAME_SAMPLES) >>> 0;
    if (!dest) return;
    if (!this.dtmf && this.dtmfQueue.length > 0) {
      const d = this.dtmfQueue.shift() as { digit: string; durationMs: number };
      this.dtmf = { schedule: sendSchedule(d.digit, { durationMs: d.durationMs }), next: 0, startTs: ts, elapsedMs: 0 };
    }
    if (this.dtmf) {
      const d = this.dtmf;
      d.elapsedMs += FRAME_SAMPLES / 8;
      while (d.next < d.schedule.length && (d.schedule[d.next] as ScheduledEventPacket).atMs <= d.elapsedMs) {
        const s = d.schedule[d.next++] as ScheduledEventPacket;
        this.emitPacket(dest, s.marker, this.eventPt, (d.startTs + s.timestampOffset) >>> 0, encodeEvent(s.event));
      }
      if (d.next >= d.schedule.length) this.dtmf = null;
      return;
    }
    this.emitPacket(dest, false, this.pt, ts, frame);
  }

  private emitPacket(dest: Address, marker: boolean, pt: number, ts: number, payload: Uint8Array): void {
    const p = this.pkt;
    p.marker = marker;
    p.payloadType = pt;
    p.sequenceNumber = this.seq;
    p.timestamp = ts;
    p.payload = payload;
    this.seq = (this.seq + 1) & 0xffff;
    // A fresh (pooled) buffer per packet: dgram may queue the buffer without copying it, so
    // reusing one would let the next packet overwrite a queued one.
    const out = Buffer.allocUnsafe(encodedSize(p));
    encodeInto(p, out, 0);
    this.rtpPort.send(out, dest.port, dest.address);
    this.counters.packetsSent++;
    this.octetsSent += payload.length;
  }

  /** Per-tick housekeeping: DTMF without end packets, RTP timeout, RTCP reports. */
  housekeeping(nowMs: number): void {
    const expired = this.events.expire(nowMs);
    if (expired?.kind === 'end') this.reportDigit(expired.digit, expired.durationMs);
    const silent = nowMs - this.lastRtpMs;
    if (!this.timedOut && this.opts.rtpTimeoutMs > 0 && silent >= this.opts.rtpTimeoutMs) {
      this.timedOut = true;
      this.opts.emit({ type: 'endpoint.timeout', endpointId: this.id, silentMs: Math.round(silent) });
    }
    if (nowMs >= this.nextRtcpMs) {
      this.nextRtcpMs = nowMs + RTCP_INTERVAL_MS;
      this.sendRtcp(nowMs);
    }
  }

  private sendRtcp(nowMs: number): void {
    const dest = this.destination();
    if (!dest) return;
    const reports: rtcp.ReportBlock[] = [];
    if (this.remoteSsrc !== null && this.reception.valid) {
      const lsr = this.lastSr;
      // DLSR in units of 1/65536 s.
      const dlsr = lsr ? Math.round(((nowMs - lsr.arrivalMs) / 1000) * 65536) >>> 0 : 0;
      reports.push(this.reception.reportBlock(this.remoteSsrc, lsr?.middle ?? 0, dlsr));
    }
    const ntp = rtcp.ntpFromUnixMs(this.opts.wallNow());
    const buf = rtcp.encode([
      { type: 'sr', ssrc: this.ssrc, ...ntp, rtpTimestamp: this.ts, packetCount: this.counters.packetsSent >>> 0, octetCount: this.octetsSent >>> 0, reports },
      { type: 'sdes', chunks: [{ ssrc: this.ssrc, items: [{ type: rtcp.SDES_CNAME, text: `${CNAME_PREFIX}-${this.id}` }] }] },
    ]);
    this.rtcpPort.send(buf, dest.port + 1, dest.address);
  }

  stats(): LegStats {
    const jb = this.jb.snapshot();
    const expected = this.reception.expected;
    const lost = Math.max(0, this.reception.cumulativeLost) + jb.late;
    const lossPercent = expected > 0 ? Math.min(100, (lost * 100) / expected) : 0;
    const q = estimateQuality({ latencyMs: this.rttMs !== null ? this.rttMs / 2 : 0, jitterMs: this.reception.jitterMs, lossPercent, jitterBufferMs: jb.targetDelayMs });
    return {
      packetsSent: this.counters.packetsSent,
      packetsReceived: this.reception.received,
      packetsLost: Math.max(0, this.reception.cumulativeLost),
      jitterMs: this.reception.jitterMs,
      rttMs: this.rttMs,
      mos: Math.round(q.mos * 100) / 100,
      malformed: this.counters.malformed,
      foreignDropped: this.counters.foreignDropped,
      unknownPayload: this.counters.unknownPayload,
      oversized: this.counters.oversized,
      ssrcChanges: this.counters.ssrcChanges,
      concealedFrames: jb.concealed,
      lateDropped: jb.late,
      dtmfReceived: this.counters.dtmfReceived,
    };
  }

  close(): void {
    this.rtpPort.close();
    this.rtcpPort.close();
  }
}
