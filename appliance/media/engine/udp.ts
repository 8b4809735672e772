/**
 * RTP/RTCP socket pairs for a media worker: an even port for RTP and the next odd one for
 * RTCP (RFC 3550 §11: "RTP SHOULD use an even destination port number and the corresponding
 * RTCP stream SHOULD use the next higher (odd) destination port number"), taken from the
 * worker's share of `media.rtpPortMin..rtpPortMax`. A port another process holds is skipped.
 */
import dgram from 'node:dgram';
import type { Address } from './protocol.js';
import type { UdpPort } from './rtp-session.js';

export interface PairHandlers {
  onRtp(buf: Uint8Array, from: Address): void;
  onRtcp(buf: Uint8Array, from: Address): void;
}

export interface BoundPair {
  address: string;
  port: number;
  rtp: UdpPort;
  rtcp: UdpPort;
}

export interface SocketFactory {
  bindPair(handlers: PairHandlers): Promise<BoundPair>;
}

function bindOne(port: number, address: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });
    const onError = (err: Error): void => {
      s.close();
      reject(err);
    };
    s.once('error', onError);
    s.bind(port, address, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

function asPort(s: dgram.Socket): UdpPort {
  let open = true;
  s.on('error', () => undefined); // ICMP unreachable etc.: RTP is best effort
  return {
    send: (buf, port, address) => {
      if (open) s.send(buf, port, address);
    },
    close: () => {
      if (!open) return;
      open = false;
      s.close();
    },
  };
}

export class UdpSocketFactory implements SocketFactory {
  private next: number;
  private readonly min: number;
  private readonly max: number;

  constructor(
    range: { min: number; max: number },
    private readonly address: string,
  ) {
    this.min = range.min + (range.min & 1);
    this.max = range.max;
    this.next = this.min;
  }

  async bindPair(handlers: PairHandlers): Promise<BoundPair> {
    const span = Math.floor((this.max - this.min + 1) / 2);
    for (let tries = 0; tries < span; tries++) {
      const port = this.next;
      this.next = this.next + 2 > this.max - 1 ? this.min : this.next + 2;
      let rtp: dgram.Socket | null = null;
      try {
        rtp = await bindOne(port, this.address);
        const rtcp = await bindOne(port + 1, this.address);
        rtp.on('message', (msg, rinfo) => handlers.onRtp(msg, { address: rinfo.address, port: rinfo.port }));
        rtcp.on('message', (msg, rinfo) => handlers.onRtcp(msg, { address: rinfo.address, port: rinfo.port }));
        return { address: this.address, port, rtp: asPort(rtp), rtcp: asPort(rtcp) };
      } catch {
        rtp?.close();
      }
    }
    throw Object.assign(new Error(`no free RTP port pair in ${this.min}..${this.max}`), { code: 'EADDRINUSE' });
  }
}
