/**
 * SDP (RFC 4566) for the appliance's audio legs, on sdp-transform: `parseSdp` turns a body into
 * the few facts offer/answer needs (audio m-lines, their codecs, telephone-event, ptime,
 * direction, connection address) and never throws anything but ParseError, so a bad body from
 * the network is a clear 400/488 and never a crash; `writeSdp` builds our own descriptions.
 *
 * RFC 4566 §5: "An SDP session description consists of a number of lines of text of the form
 * <type>=<value>"; v=, o=, s=, t= are mandatory and a media description starts with m=.
 */
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { ParseError } from '../core/errors.js';

export const Directions = ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const;
export type Direction = (typeof Directions)[number];

export interface SdpCodec {
  pt: number;
  /** Encoding name as written (upper-cased): PCMA, PCMU, TELEPHONE-EVENT, OPUS… */
  name: string;
  rate: number;
  fmtp: string | null;
}

export interface SdpMedia {
  /** Index of the m-line (answers keep the offer's order, RFC 3264 §6). */
  index: number;
  type: string;
  port: number;
  protocol: string;
  /** Payload types in the order of the m-line (preference order, RFC 3264 §5.1). */
  payloads: number[];
  codecs: SdpCodec[];
  /** Connection address for this m-line (media c= or session c=). */
  address: string | null;
  direction: Direction;
  ptime: number | null;
}

export interface SdpSession {
  originUsername: string;
  sessionId: string;
  sessionVersion: number;
  address: string | null;
  media: SdpMedia[];
}

/** RFC 3551 Table 4: the static payload types the appliance knows by number. */
export const STATIC_PAYLOADS: Readonly<Record<number, { name: string; rate: number }>> = {
  0: { name: 'PCMU', rate: 8000 },
  3: { name: 'GSM', rate: 8000 },
  4: { name: 'G723', rate: 8000 },
  8: { name: 'PCMA', rate: 8000 },
  9: { name: 'G722', rate: 8000 },
  18: { name: 'G729', rate: 8000 },
};

const MAX_SDP_BYTES = 16 * 1024;

function directionOf(value: unknown, fallback: Direction): Direction {
  return typeof value === 'string' && (Directions as readonly string[]).includes(value) ? (value as Direction) : fallback;
}

/** Parse an SDP body; ParseError (offset = line start) for anything that is not a usable SDP. */
export function parseSdp(body: Buffer | string): SdpSession {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (text.length === 0) throw new ParseError('empty SDP body', 0);
  if (text.length > MAX_SDP_BYTES) throw new ParseError(`SDP larger than ${MAX_SDP_BYTES} bytes`, MAX_SDP_BYTES);
  const lines = text.split(/\r?\n/);
  let offset = 0;
  for (const line of lines) {
    if (line.length > 0 && !/^[a-z]=/.test(line)) throw new ParseError(`SDP line is not <type>=<value>: ${JSON.stringify(line.slice(0, 40))}`, offset);
    offset += line.length + 1;
  }
  // RFC 4566 §5: "v=0" first.
  if (!/^v=0\s*$/.test(lines[0] ?? '')) throw new ParseError('SDP must start with v=0', 0);
  let raw: SessionDescription;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ParseError('SDP could not be parsed', 0, { cause: err });
  }
  if (!raw.origin) throw new ParseError('SDP has no o= line', 0);
  const sessionDir = directionOf(raw.direction, 'sendrecv');
  const sessionAddr = raw.connection?.ip ?? null;
  const media: SdpMedia[] = (raw.media ?? []).map((m: MediaDescription, index) => {
    const port = Number(m.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ParseError(`m-line ${index}: bad port ${String(m.port)}`, 0);
    const payloads = String(m.payloads ?? '')
      .trim()
      .split(/\s+/)
      .filter((p) => p.length > 0)
      .map(Number);
    const rtpmap = new Map((m.rtp ?? []).map((r) => [Number(r.payload), r]));
    const fmtps = new Map((m.fmtp ?? []).map((f) => [Number(f.payload), String(f.config)]));
    const codecs: SdpCodec[] = [];
    for (const pt of payloads) {
      if (!Number.isInteger(pt) || pt < 0 || pt > 127) continue;
      const r = rtpmap.get(pt);
      const known = STATIC_PAYLOADS[pt];
      if (r) codecs.push({ pt, name: String(r.codec).toUpperCase(), rate: Number(r.rate ?? 8000), fmtp: fmtps.get(pt) ?? null });
      else if (known) codecs.push({ pt, name: known.name, rate: known.rate, fmtp: null });
    }
    return {
      index,
      type: String(m.type),
      port,
      protocol: String(m.protocol),
      payloads,
      codecs,
      address: m.connection?.ip ?? sessionAddr,
      direction: directionOf(m.direction, sessionDir),
      ptime: typeof m.ptime === 'number' && Number.isFinite(m.ptime) ? m.ptime : null,
    };
  });
  if (media.length === 0) throw new ParseError('SDP has no m= line', 0);
  return {
    originUsername: String(raw.origin.username ?? '-'),
    sessionId: String(raw.origin.sessionId ?? '0'),
    sessionVersion: Number(raw.origin.sessionVersion ?? 0),
    address: sessionAddr,
    media,
  };
}

export interface WriteMedia {
  type: string;
  port: number;
  protocol: string;
  codecs: ReadonlyArray<{ pt: number; name: string; rate: number; fmtp?: string | null }>;
  direction: Direction;
  ptime?: number | null;
}

export interface WriteSession {
  sessionId: string;
  sessionVersion: number;
  address: string;
  media: readonly WriteMedia[];
  /** s= line (RFC 4566 §5.3: "-" when there is nothing to say). */
  name?: string;
}

/**
 * The SDP text of a description, written directly: the appliance's own descriptions have a fixed
 * shape (one origin, one connection, audio lines with rtpmap, fmtp, ptime and a direction), and
 * sdp-transform's generic writer cost ~4 % of the main thread at 1000 calls/s. The output is
 * byte for byte what sdp-transform writes for the same description (RFC 4566 §5 line order;
 * session.test.ts compares the two over every shape we produce); `writeSdpGeneric` is that
 * reference.
 */
export function writeSdp(s: WriteSession): string {
  const ip = s.address.includes(':') ? 'IP6' : 'IP4';
  let out = `v=0\r\no=- ${s.sessionId} ${s.sessionVersion} IN ${ip} ${s.address}\r\ns=${s.name ?? '-'}\r\nc=IN ${ip} ${s.address}\r\nt=0 0\r\n`;
  for (const m of s.media) {
    out += `m=${m.type} ${m.port} ${m.protocol} ${m.codecs.length > 0 ? m.codecs.map((c) => c.pt).join(' ') : '0'}\r\n`;
    for (const c of m.codecs) out += `a=rtpmap:${c.pt} ${c.name === 'TELEPHONE-EVENT' ? 'telephone-event' : c.name}/${c.rate}\r\n`;
    for (const c of m.codecs) if (c.fmtp) out += `a=fmtp:${c.pt} ${c.fmtp}\r\n`;
    if (m.ptime) out += `a=ptime:${m.ptime}\r\n`;
    out += `a=${m.direction}\r\n`;
  }
  return out;
}

/** writeSdp by sdp-transform (the reference the direct writer is tested against). */
export function writeSdpGeneric(s: WriteSession): string {
  const ipVer = s.address.includes(':') ? 6 : 4;
  const desc: SessionDescription = {
    version: 0,
    origin: { username: '-', sessionId: s.sessionId, sessionVersion: s.sessionVersion, netType: 'IN', ipVer, address: s.address },
    name: s.name ?? '-',
    connection: { version: ipVer, ip: s.address },
    timing: { start: 0, stop: 0 },
    media: s.media.map((m) => ({
      type: m.type,
      port: m.port,
      protocol: m.protocol,
      payloads: m.codecs.length > 0 ? m.codecs.map((c) => c.pt).join(' ') : '0',
      rtp: m.codecs.map((c) => ({ payload: c.pt, codec: c.name === 'TELEPHONE-EVENT' ? 'telephone-event' : c.name, rate: c.rate })),
      fmtp: m.codecs.filter((c) => c.fmtp).map((c) => ({ payload: c.pt, config: c.fmtp as string })),
      ...(m.ptime ? { ptime: m.ptime } : {}),
      direction: m.direction,
    })),
  } as SessionDescription;
  return write(desc);
}
