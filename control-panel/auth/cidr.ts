/**
 * IP allow-lists (seed: "access restricted by IP"): CIDR blocks per RFC 4632 (IPv4) and
 * RFC 4291 §2.3 (IPv6 prefixes). IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, RFC 4291
 * §2.5.5.2, what Node reports on a dual-stack socket) match IPv4 blocks. Parsing is strict:
 * a malformed block is a validation problem for the form, never a silent "match everything".
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  readonly family: 4 | 6;
  readonly bits: bigint;
  readonly prefix: number;
  readonly text: string;
}

function v4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function v6ToBig(ip: string): bigint {
  let s = ip.toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // A trailing dotted quad (`::ffff:1.2.3.4`) becomes two hex groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v = v4ToBig(dotted[1]!);
    s = `${s.slice(0, dotted.index)}${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, null];
  const h = head === '' ? [] : head.split(':');
  const t = tail === null || tail === '' ? [] : tail.split(':');
  const groups = tail === null ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** The address as (family, value); IPv4-mapped IPv6 becomes IPv4. Null if not an address. */
export function parseIp(ip: string): { family: 4 | 6; value: bigint } | null {
  if (isIPv4(ip)) return { family: 4, value: v4ToBig(ip) };
  if (!isIPv6(ip)) return null;
  const value = v6ToBig(ip);
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

export function parseCidr(text: string): Cidr | null {
  const [addr, len, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  // A mapped IPv6 block `::ffff:a.b.c.d/120` becomes the IPv4 block /24.
  const mappedOffset = ip.family === 4 && isIPv6(addr) ? 96 : 0;
  let prefix = max;
  if (len !== undefined) {
    if (!/^\d{1,3}$/.test(len)) return null;
    prefix = Number(len) - mappedOffset;
    if (prefix < 0 || prefix > max) return null;
  }
  const shift = BigInt(max - prefix);
  return { family: ip.family, bits: (ip.value >> shift) << shift, prefix, text: text.trim() };
}

export function cidrContains(block: Cidr, ip: string): boolean {
  const a = parseIp(ip);
  if (!a || a.family !== block.family) return false;
  const shift = BigInt((a.family === 4 ? 32 : 128) - block.prefix);
  return (a.value >> shift) << shift === block.bits;
}

/** True when `ip` is inside any of the blocks. */
export function inAnyCidr(blocks: readonly Cidr[], ip: string): boolean {
  return blocks.some((b) => cidrContains(b, ip));
}

/** Parse a list, returning the blocks and the texts that are not valid CIDR blocks. */
export function parseCidrList(texts: readonly string[]): { blocks: Cidr[]; invalid: string[] } {
  const blocks: Cidr[] = [];
  const invalid: string[] = [];
  for (const t of texts) {
    if (t.trim() === '') continue;
    const c = parseCidr(t);
    if (c) blocks.push(c);
    else invalid.push(t);
  }
  return { blocks, invalid };
}

/** 127.0.0.0/8, ::1 and their mapped forms (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3). */
export function isLoopback(ip: string): boolean {
  const a = parseIp(ip);
  if (!a) return false;
  return a.family === 4 ? a.value >> 24n === 127n : a.value === 1n;
}
