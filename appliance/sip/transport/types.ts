/**
 * The SIP transport layer's contract, RFC 3261 §18: a transport sends octets to a destination and
 * hands every parsed inbound message up with where it came from. Layers above (transaction/,
 * ua/) see only this interface, so FSM tests run on the in-memory FakeTransportPair
 * (testing/fake-transport.ts) and the daemon on UDP, TCP and TLS sockets.
 */
import type { SipMessage } from '../message/index.js';

export const TransportProtocols = ['udp', 'tcp', 'tls'] as const;
export type TransportProtocol = (typeof TransportProtocols)[number];

export interface HostPort {
  host: string;
  port: number;
}

/** Where an inbound message came from. `connectionId` names the TCP/TLS connection it arrived on. */
export interface Source extends HostPort {
  protocol: TransportProtocol;
  connectionId: string | null;
}

/** Where to send: an address, and for stream transports optionally a connection to reuse. */
export interface Destination extends HostPort {
  connectionId?: string | null;
}

export type MessageHandler = (msg: SipMessage, source: Source, transport: Transport) => void;

export interface Transport {
  readonly protocol: TransportProtocol;
  /** RFC 3261 §17.1.1.2 / §17.2.1: retransmit only over unreliable transports. */
  readonly reliable: boolean;
  /** Address for Via sent-by and Contact (the bound address and port). */
  localAddress(): HostPort;
  /** Send one serialized message; rejects with TransportError when the octets cannot leave. */
  send(bytes: Buffer, dest: Destination): Promise<void>;
  /** Register the receiver of parsed messages (one per transport; the transaction layer). */
  onMessage(handler: MessageHandler): void;
  close(): Promise<void>;
}

/** Via transport token for a protocol (RFC 3261 §20.42: "UDP", "TCP", "TLS"). */
export function viaTransport(p: TransportProtocol): string {
  return p.toUpperCase();
}
