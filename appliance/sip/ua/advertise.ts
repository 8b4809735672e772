/**
 * Which of our addresses a peer can reach, for what we write into Contact, From/To and Via
 * (RFC 3261 §8.1.1.8: the Contact "MUST" be a URI at which the UA "would like to receive
 * requests"; a wildcard bind address like 0.0.0.0 or :: is nowhere). In order:
 *
 *   1. `sip.advertisedAddress` from the configuration (a NAT'd appliance names its public address);
 *   2. the address the SIP listener is bound to, unless it is a wildcard;
 *   3. the route to the peer: loopback for a loopback peer, else the address of the interface
 *      whose subnet holds the peer (the interface a request from it came in on, or that a request
 *      to it leaves from on a flat network);
 *   4. the first external address of the peer's family (the default route's interface on an
 *      appliance with one uplink), else loopback.
 * Node's UDP sockets do not tell the destination address of a datagram (no IP_PKTINFO), so (3)
 * is computed from the interface table, which `interfaces` injects for tests.
 */
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

export type InterfaceTable = Record<string, NetworkInterfaceInfo[] | undefined>;

export interface AdvertiseOptions {
  /** config.sip.advertisedAddress. */
  configured?: string | null;
  /** The interface table (default: os.networkInterfaces(), read once per call). */
  interfaces?: () => InterfaceTable;
}

export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** The host to advertise to `peer` (an IP address or name, or null when unknown). */
export function advertisedHost(bound: string, peer: string | null, o: AdvertiseOptions = {}): string {
  if (o.configured) return o.configured;
  if (!isWildcard(bound)) return bound;
  const p = peer?.replace(/^\[|\]$/g, '') ?? null;
  const family = p && isIP(p) === 6 && !p.startsWith('::ffff:') ? 'IPv6' : 'IPv4';
  const v4 = p ? v4Of(p) : null;
  if (p && (p === '::1' || (v4 !== null && (v4 >>> 24) === 127))) return family === 'IPv6' ? '::1' : '127.0.0.1';
  const all = Object.values((o.interfaces ?? networkInterfaces)()).flatMap((l) => l ?? []);
  if (v4 !== null) {
    for (const a of all) {
      if (a.family !== 'IPv4' || a.internal) continue;
      const mine = v4Of(a.address);
      const mask = v4Of(a.netmask);
      if (mine !== null && mask !== null && ((mine & mask) >>> 0) === ((v4 & mask) >>> 0)) return a.address;
    }
  }
  const external = all.find((a) => a.family === family && !a.internal && !(family === 'IPv6' && a.address.startsWith('fe80')));
  if (external) return external.address;
  return family === 'IPv6' ? '::1' : '127.0.0.1';
}

function v4Of(s: string): number | null {
  const ip = s.startsWith('::ffff:') ? s.slice(7) : s;
  if (isIP(ip) !== 4) return null;
  return ip.split('.').reduce((n, part) => ((n << 8) | Number(part)) >>> 0, 0);
}
