/**
 * The UA core as far as this layer goes (RFC 3261 §8.2 UAS behaviour, §11 OPTIONS, §9.2 CANCEL):
 * a SipEndpoint binds the transports to a TransactionLayer and is its TransactionUser. It answers
 * what every SIP element must answer by itself and hands the rest to a RequestHandler (later:
 * registrar, dialogs, B2BUA):
 *   §8.2.1   unknown method → 501, known but not allowed → 405 (both with Allow);
 *   §8.2.2.1 dialog matching (481 for an unknown dialog) is left to the handler: the dialog layer
 *            comes later, and the default handler challenges before revealing anything (S10);
 *   §8.2.2.3 Require with unsupported option tags → 420 with Unsupported;
 *   §8.2.3   a body of a type we do not take → 415 with Accept; an INVITE whose Accept excludes
 *            application/sdp → 406 (we could only answer with SDP);
 *   §11.2    OPTIONS → 200 with Allow, Accept, Accept-Encoding, Accept-Language, Supported;
 *   §9.2     CANCEL matching nothing → 481; otherwise 200, and 487 for the INVITE if still pending.
 * Every response carries Server: config.sip.userAgent (generic by default, RELIABILITY.md S11).
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../../core/clock.js';
import type { TransactionError } from '../../core/errors.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import {
  TransactionLayer,
  type InviteServerTransaction,
  type NonInviteServerTransaction,
  type ServerTransactionAny,
  type TimerConfig,
  type TransactionUser,
} from '../transaction/index.js';
import { StreamTransport, UdpTransport, type HostPort, type Source, type Transport, type TransportProtocol } from '../transport/index.js';
import { challengeAll } from './challenge-all.js';

/** RFC 3261 methods and the extension methods a SIP element may meet (§8.2.1: these get 405, the rest 501). */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);
/** Body types the appliance takes (§8.2.3). */
export const ACCEPTED_TYPES = ['application/sdp'] as const;

export interface RequestHandler {
  /** Methods beyond OPTIONS, ACK and CANCEL that this handler answers (they go in Allow). */
  readonly methods: readonly string[];
  onRequest(req: SipRequest, tx: ServerTransactionAny, endpoint: SipEndpoint): void;
  /** The INVITE is being cancelled; the endpoint sends the 487 afterwards if the handler has not answered. */
  onCancel?(target: InviteServerTransaction, endpoint: SipEndpoint): void;
  /** An ACK no transaction absorbed (the ACK for a 2xx). */
  onAck?(ack: SipRequest, source: Source): void;
  onServerError?(err: TransactionError, tx: ServerTransactionAny): void;
}

export interface SipEndpointOptions {
  clock: Clock;
  timers: TimerConfig;
  transports: readonly Transport[];
  /** Server / User-Agent header value (config.sip.userAgent). */
  userAgent: string;
  /** Digest realm for the default handler (config.sip.realm). */
  realm: string;
  handler?: RequestHandler;
  /** Option tags we support (Supported header; Require checked against it). */
  supported?: readonly string[];
  /** Body types the handler takes (default ACCEPTED_TYPES; the UA adds INFO's dtmf-relay). */
  accept?: readonly string[];
  maxServerTransactions?: number;
}

export class SipEndpoint implements TransactionUser {
  readonly layer: TransactionLayer;
  readonly transports: readonly Transport[];
  private readonly opts: SipEndpointOptions;
  private readonly handler: RequestHandler;
  private readonly allow: string;

  constructor(opts: SipEndpointOptions) {
    this.opts = opts;
    this.transports = opts.transports;
    this.handler = opts.handler ?? challengeAll(opts.realm);
    this.allow = ['INVITE', 'ACK', 'CANCEL', 'OPTIONS', ...this.handler.methods.filter((m) => m !== 'INVITE')].join(', ');
    this.layer = new TransactionLayer({
      clock: opts.clock,
      timers: opts.timers,
      transports: opts.transports,
      tu: this,
      serverHeader: opts.userAgent,
      ...(opts.maxServerTransactions === undefined ? {} : { maxServerTransactions: opts.maxServerTransactions }),
    });
  }

  /** Bind the transports named in config.sip and start answering. */
  static async listen(
    cfg: SipListenConfig,
    deps: {
      clock: Clock;
      handler?: RequestHandler;
      frameTimeoutMs?: number;
      supported?: readonly string[];
      accept?: readonly string[];
      /** Decorate each opened transport (security/SipFirewall.wrap: bans, rate limits, admission before the transaction layer). */
      wrapTransport?: (t: Transport) => Transport;
    },
  ): Promise<SipEndpoint> {
    const transports: Transport[] = [];
    try {
      for (const p of cfg.transports) {
        const t = await openTransport(p, cfg, deps);
        transports.push(deps.wrapTransport ? deps.wrapTransport(t) : t);
      }
    } catch (err) {
      await Promise.all(transports.map((t) => t.close()));
      throw err;
    }
    return new SipEndpoint({
      clock: deps.clock,
      timers: { t1: cfg.t1, t2: cfg.t2, t4: cfg.t4 },
      transports,
      userAgent: cfg.userAgent,
      realm: cfg.realm,
      ...(deps.handler ? { handler: deps.handler } : {}),
      ...(deps.supported ? { supported: deps.supported } : {}),
      ...(deps.accept ? { accept: deps.accept } : {}),
    });
  }

  address(protocol: TransportProtocol): HostPort | undefined {
    return this.transports.find((t) => t.protocol === protocol)?.localAddress();
  }

  async close(): Promise<void> {
    this.layer.close();
    await Promise.all(this.transports.map((t) => t.close()));
  }

  /** Answer on a server transaction with the Server header and extra headers. */
  respond(tx: ServerTransactionAny, status: number, reason?: string, headers: ReadonlyArray<[string, string]> = []): SipResponse {
    const res = tx.createResponse(status, reason);
    res.headers.append('Server', this.opts.userAgent);
    for (const [k, v] of headers) res.headers.append(k, v);
    tx.respond(res);
    return res;
  }

  onRequest(req: SipRequest, tx: ServerTransactionAny): void {
    const m = req.method;
    const allowHeader: [string, string] = ['Allow', this.allow];
    if (m !== 'OPTIONS' && !this.handler.methods.includes(m)) {
      // §8.2.1: "If the UAS recognizes but does not support the method, it MUST generate a 405 (Method Not Allowed) response ... The UAS MUST
      // also add an Allow header field". §21.5.2 501: "the server does not recognize the request method".
      this.respond(tx, KNOWN_METHODS.has(m) ? 405 : 501, undefined, [allowHeader]);
      return;
    }
    // §8.2.2.3: "If a UAS does not understand an option-tag listed in a Require header field, it MUST respond by generating a response with status
    // code 420 (Bad Extension). The UAS MUST add an Unsupported header field".
    const supported = this.opts.supported ?? [];
    const unsupported = req.headers
      .getAll('require')
      .map((s) => s.trim())
      .filter((tag) => tag.length > 0 && !supported.includes(tag.toLowerCase()));
    if (unsupported.length > 0) {
      this.respond(tx, 420, undefined, [['Unsupported', unsupported.join(', ')]]);
      return;
    }
    if (m === 'OPTIONS') {
      // §11.2: "Allow, Accept, Accept-Encoding, Accept-Language, and Supported header fields SHOULD be present in a response to an OPTIONS request."
      this.respond(tx, 200, undefined, [
        allowHeader,
        ['Accept', this.accepted().join(', ')],
        ['Accept-Encoding', 'identity'],
        ['Accept-Language', 'en'],
        ['Supported', supported.join(', ')],
      ]);
      return;
    }
    // §8.2.3: "If a UAS receives a request with a body of a type it does not understand, it MUST respond with a 415 ... The server MUST list the
    // types it understands in the Accept header field".
    const type = req.contentType()?.split(';')[0]?.trim().toLowerCase();
    if (req.body.length > 0 && (type === undefined || !this.accepted().includes(type))) {
      this.respond(tx, 415, undefined, [['Accept', this.accepted().join(', ')]]);
      return;
    }
    if (m === 'INVITE' && !acceptsSdp(req)) {
      this.respond(tx, 406);
      return;
    }
    this.handler.onRequest(req, tx, this);
  }

  private accepted(): readonly string[] {
    return this.opts.accept ?? ACCEPTED_TYPES;
  }

  onCancel(_cancel: SipRequest, tx: NonInviteServerTransaction, target: InviteServerTransaction | null): void {
    // §9.2: "If the UAS did not find a matching transaction for the CANCEL according to the procedure above, it SHOULD respond to the CANCEL with a 481".
    if (!target) {
      this.respond(tx, 481);
      return;
    }
    // "...the UAS ... SHOULD respond to the INVITE with a 487 (Request Terminated)" and "the response to the CANCEL itself is a 200 (OK)".
    this.respond(tx, 200);
    if (target.state !== 'proceeding') return;
    this.handler.onCancel?.(target, this);
    if (target.state === 'proceeding') this.respond(target, 487);
  }

  onAck(ack: SipRequest, source: Source): void {
    this.handler.onAck?.(ack, source);
  }

  onServerError(err: TransactionError, tx: ServerTransactionAny): void {
    this.handler.onServerError?.(err, tx);
  }
}

/** The part of config.sip the endpoint needs. */
export interface SipListenConfig {
  host: string;
  port: number;
  transports: readonly TransportProtocol[];
  tlsPort: number;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  t1: number;
  t2: number;
  t4: number;
  userAgent: string;
  realm: string;
}

async function openTransport(p: TransportProtocol, cfg: SipListenConfig, deps: { clock: Clock; frameTimeoutMs?: number }): Promise<Transport> {
  const common = { host: cfg.host, serverHeader: cfg.userAgent };
  if (p === 'udp') return UdpTransport.listen({ ...common, port: cfg.port });
  const frame = deps.frameTimeoutMs === undefined ? {} : { frameTimeoutMs: deps.frameTimeoutMs };
  if (p === 'tcp') return StreamTransport.listen({ ...common, ...frame, protocol: 'tcp', port: cfg.port, clock: deps.clock });
  if (!cfg.tlsCert || !cfg.tlsKey) throw new Error('sip.tlsCert and sip.tlsKey are required for the tls transport');
  return StreamTransport.listen({
    ...common,
    ...frame,
    protocol: 'tls',
    port: cfg.tlsPort,
    clock: deps.clock,
    tls: { cert: readFileSync(cfg.tlsCert), key: readFileSync(cfg.tlsKey) },
  });
}

/** §20.1: no Accept means application/sdp; otherwise it must name it or a wildcard covering it. */
function acceptsSdp(req: SipRequest): boolean {
  const values = req.headers.getAll('accept');
  if (values.length === 0) return true;
  return values.some((v) => {
    const t = v.split(';')[0]?.trim().toLowerCase();
    return t === 'application/sdp' || t === 'application/*' || t === '*/*';
  });
}
