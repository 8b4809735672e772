/**
 * RFC 4733 telephone-event payload (§2.3) for DTMF events 0–15 (§3.2), a sender schedule
 * (§2.5.1) and a receiver that reports each digit once with its duration (§2.5.2).
 * Pure: the schedule is a list of packets with send offsets; the RTP session numbers them
 * and the worker's clock sends them.
 *
 * RFC 4733 §2.3 payload format:
 *
 *     0                   1                   2                   3
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |     event     |E|R| volume    |          duration             |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
import { ParseError } from '../../core/errors.js';

export const PAYLOAD_SIZE = 4;
const EVENT_OFFSET = 0;
const FLAGS_OFFSET = 1;
const DURATION_OFFSET = 2;
const END_BIT = 0x80;
const RESERVED_BIT = 0x40;
const VOLUME_MASK = 0x3f;
const MAX_DURATION = 0xffff;

/** RFC 4733 §3.2 Table 7: events 0–9, * (10), # (11), A–D (12–15). */
export const DTMF_DIGITS = '0123456789*#ABCD';
export type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

export interface TelephoneEvent {
  event: number;
  end: boolean;
  /** Power level in -dBm0 (0..63), e.g. 10 means -10 dBm0. */
  volume: number;
  /** Duration in RTP timestamp units since the event's timestamp. */
  duration: number;
}

export function digitToEvent(d: string): number {
  const i = DTMF_DIGITS.indexOf(d.toUpperCase());
  if (i < 0 || d.length !== 1) throw new RangeError(`not a DTMF digit: ${JSON.stringify(d)}`);
  return i;
}

/** The digit for DTMF events 0–15, or null for other telephone events. */
export function eventToDigit(event: number): Digit | null {
  return event >= 0 && event < 16 ? (DTMF_DIGITS[event] as Digit) : null;
}

export function decode(buf: Uint8Array): TelephoneEvent {
  if (buf.length < PAYLOAD_SIZE) {
    throw new ParseError(`telephone-event payload ${buf.length} bytes, need ${PAYLOAD_SIZE}`, 0);
  }
  const flags = buf[FLAGS_OFFSET] as number;
  return {
    event: buf[EVENT_OFFSET] as number,
    end: (flags & END_BIT) !== 0,
    volume: flags & VOLUME_MASK,
    duration: (((buf[DURATION_OFFSET] as number) << 8) | (buf[DURATION_OFFSET + 1] as number)) >>> 0,
  };
}

export function encodedSize(_e: TelephoneEvent): number {
  return PAYLOAD_SIZE;
}

export function encodeInto(e: TelephoneEvent, buf: Uint8Array, off = 0): number {
  if (buf.length - off < PAYLOAD_SIZE) throw new RangeError('telephone-event encode: buffer too small');
  if (e.duration < 0 || e.duration > MAX_DURATION) throw new RangeError(`telephone-event duration ${e.duration}`);
  buf[off + EVENT_OFFSET] = e.event & 0xff;
  // §2.3: "R: This field is reserved for future use. The sender MUST set it to zero"
  buf[off + FLAGS_OFFSET] = (e.end ? END_BIT : 0) | (e.volume & VOLUME_MASK & ~RESERVED_BIT);
  buf[off + DURATION_OFFSET] = (e.duration >> 8) & 0xff;
  buf[off + DURATION_OFFSET + 1] = e.duration & 0xff;
  return PAYLOAD_SIZE;
}

export function encode(e: TelephoneEvent): Uint8Array {
  const out = new Uint8Array(PAYLOAD_SIZE);
  encodeInto(e, out);
  return out;
}

export interface ScheduledEventPacket {
  /** Milliseconds after the start of the digit at which to send. */
  atMs: number;
  /** RFC 4733 §2.5.1.1: marker set on the first packet of an event. */
  marker: boolean;
  /** Offset to add to the RTP timestamp of the event start (non-zero for later segments). */
  timestampOffset: number;
  event: TelephoneEvent;
}

export interface SendOptions {
  /** Tone duration in ms (default 100). */
  durationMs?: number;
  /** Interval between updates in ms (default 20, the audio packetization). */
  intervalMs?: number;
  /** Volume in -dBm0 (default 10). */
  volume?: number;
  clockRate?: number;
}

/**
 * The packets to send for one digit (RFC 4733 §2.5.1):
 *  - §2.5.1.2: the first packet has the marker bit; updates follow every interval with the same
 *    timestamp and a growing duration ("the duration of the event so far");
 *  - §2.5.1.3: an event longer than 0xFFFF units is split into segments, each with its own
 *    timestamp; only the first segment carries the marker;
 *  - §2.5.1.4: "the final packet for each event and for each segment SHOULD be sent a total of
 *    three times at the interval used by the source for updates."
 */
export function sendSchedule(digit: string, opts: SendOptions = {}): ScheduledEventPacket[] {
  const event = digitToEvent(digit);
  const durationMs = opts.durationMs ?? 100;
  const intervalMs = opts.intervalMs ?? 20;
  const volume = opts.volume ?? 10;
  const rate = opts.clockRate ?? 8000;
  const unitsPerMs = rate / 1000;
  const total = Math.round(durationMs * unitsPerMs);
  const step = Math.round(intervalMs * unitsPerMs);
  if (total <= 0 || step <= 0) throw new RangeError('DTMF duration and interval must be positive');

  const out: ScheduledEventPacket[] = [];
  let segmentStart = 0;
  let first = true;
  while (segmentStart < total) {
    const segmentLen = Math.min(MAX_DURATION, total - segmentStart);
    const finalSegment = segmentStart + segmentLen >= total;
    for (let d = step; d < segmentLen; d += step) {
      out.push({
        atMs: (segmentStart + d) / unitsPerMs,
        marker: first,
        timestampOffset: segmentStart,
        event: { event, end: false, volume, duration: d },
      });
      first = false;
    }
    // The segment's last packet, sent three times; E is set only on the true end of the event
    // (§2.5.1.3: segments other than the last are not ended).
    const lastAt = (segmentStart + segmentLen) / unitsPerMs;
    for (let r = 0; r < 3; r++) {
      out.push({
        atMs: lastAt + r * intervalMs,
        marker: first && r === 0,
        timestampOffset: segmentStart,
        event: { event, end: finalSegment, volume, duration: segmentLen },
      });
    }
    first = false;
    segmentStart += segmentLen;
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

export type DtmfReport =
  | { kind: 'begin'; digit: Digit; timestamp: number }
  | { kind: 'end'; digit: Digit; timestamp: number; durationMs: number; endSeen: boolean };

/**
 * Receiver side (RFC 4733 §2.5.2). Events are identified by their RTP timestamp:
 * "a receiver ... MUST treat packets with the same timestamp as belonging to the same event".
 * Reports `begin` on the first packet of an event and `end` exactly once, on the first end
 * packet; the retransmitted end packets are dropped. An event that stops without an end packet
 * (all three lost) is ended by the next event or by `expire()`.
 */
export class TelephoneEventReceiver {
  private current: {
    timestamp: number;
    event: number;
    /** Duration of the current segment, and of the finished segments before it. */
    duration: number;
    priorSegments: number;
    segmentTimestamps: number[];
    lastMs: number;
  } | null = null;
  private readonly ended: number[] = [];
  private readonly rate: number;

  constructor(opts: { clockRate?: number } = {}) {
    this.rate = opts.clockRate ?? 8000;
  }

  /** Feed one telephone-event packet; returns the reports it produced (0, 1 or 2). */
  push(rtpTimestamp: number, payload: Uint8Array, nowMs: number): DtmfReport[] {
    const ev = decode(payload);
    const digit = eventToDigit(ev.event);
    if (digit === null) return [];
    const ts = rtpTimestamp >>> 0;
    // A retransmitted end, or a late update of a finished event.
    if (this.ended.includes(ts)) return [];
    const c = this.current;
    // A late repeat of an earlier segment of the event in progress.
    if (c && ts !== c.timestamp && c.segmentTimestamps.includes(ts)) return [];
    const out: DtmfReport[] = [];
    if (c && ts !== c.timestamp) {
      // §2.5.1.3: a long event continues in a new segment whose timestamp is the previous
      // segment's timestamp plus its duration.
      const contiguous = ev.event === c.event && ts === ((c.timestamp + c.duration) >>> 0) && c.duration === 0xffff;
      if (contiguous) {
        c.priorSegments += c.duration;
        c.segmentTimestamps.push(ts);
        c.timestamp = ts;
        c.duration = 0;
      } else {
        const done = this.finish(false);
        if (done) out.push(done);
      }
    }
    if (!this.current) {
      this.current = { timestamp: ts, event: ev.event, duration: ev.duration, priorSegments: 0, segmentTimestamps: [ts], lastMs: nowMs };
      out.push({ kind: 'begin', digit, timestamp: ts });
    } else {
      this.current.duration = Math.max(this.current.duration, ev.duration);
      this.current.lastMs = nowMs;
    }
    if (ev.end) {
      const done = this.finish(true);
      if (done) out.push(done);
    }
    return out;
  }

  /** End an event whose end packets never came, after `timeoutMs` without updates. */
  expire(nowMs: number, timeoutMs = 200): DtmfReport | null {
    if (this.current && nowMs - this.current.lastMs >= timeoutMs) return this.finish(false);
    return null;
  }

  private finish(endSeen: boolean): DtmfReport | null {
    const c = this.current;
    if (!c) return null;
    this.current = null;
    this.ended.push(...c.segmentTimestamps);
    while (this.ended.length > 16) this.ended.shift();
    return {
      kind: 'end',
      digit: eventToDigit(c.event) as Digit,
      timestamp: c.segmentTimestamps[0] ?? c.timestamp,
      durationMs: ((c.priorSegments + c.duration) * 1000) / this.rate,
      endSeen,
    };
  }
}
