/**
 * Address lists for SIP security (whitelists of trunks and management networks): CIDR blocks
 * (RFC 4632 for IPv4, RFC 4291 §2.3 prefixes for IPv6) on Node's net.BlockList. Addresses are
 * normalised first: an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, RFC 4291 §2.5.5.2, what a
 * dual-stack socket reports) is the IPv4 address, so one ban or whitelist entry covers both
 * spellings. A malformed block is an error for the caller to report, never "match everything".
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { ValidationError } from '../../core/errors.js';

const MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** Canonical text of an address for use as a map key (mapped IPv4 unwrapped, IPv6 zone and case dropped). */
export function normalizeIp(ip: string): string {
  const m = MAPPED.exec(ip);
  if (m) return m[1]!;
  const zone = ip.indexOf('%');
  return (zone >= 0 ? ip.slice(0, zone) : ip).toLowerCase();
}

/** Answers remembered per source (the set never changes; BlockList.check costs ~1.5 % of the main thread at 750 CPS). */
const MEMO_LIMIT = 4096;

export class AddressSet {
  private readonly list = new BlockList();
  private readonly memo = new Map<string, boolean>();
  readonly entries: readonly string[];

  /** Throws ValidationError naming every bad entry (`path` = its index). */
  constructor(cidrs: readonly string[]) {
    const issues: Array<{ path: string; message: string }> = [];
    cidrs.forEach((text, i) => {
      const [addr = '', len, extra] = text.trim().split('/');
      const ip = normalizeIp(addr);
      const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : null;
      const max = family === 'ipv4' ? 32 : 128;
      const prefix = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
      if (family === null || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
        issues.push({ path: String(i), message: `not an address or CIDR block: ${JSON.stringify(text)}` });
        return;
      }
      this.list.addSubnet(ip, prefix, family);
    });
    if (issues.length > 0) throw new ValidationError('invalid address list', issues);
    this.entries = [...cidrs];
  }

  has(ip: string): boolean {
    const known = this.memo.get(ip);
    if (known !== undefined) return known;
    const n = normalizeIp(ip);
    const hit = isIPv4(n) ? this.list.check(n, 'ipv4') : isIPv6(n) ? this.list.check(n, 'ipv6') : false;
    // A flood from many sources only clears the memo; answers stay exact.
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(ip, hit);
    return hit;
  }
}
