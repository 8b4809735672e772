/**
 * The transaction layer, RFC 3261 §17: owns the client and server transaction tables, matches
 * every inbound message to a transaction (§17.1.3, §17.2.3, keys.ts), creates server
 * transactions for new requests, and talks upward only through TransactionUser (SIP.js
 * transaction-user.ts). Below it sit the transports (transport/).
 *
 *   - Requests that fail validateRequest are answered statelessly with its 400/416/505; an ACK
 *     is never answered (§17.1.1.3: "the ACK ... is never responded to").
 *   - ACK that matches an INVITE server transaction in Completed confirms it; any other ACK (the
 *     ACK for a 2xx, §13.3.1.4) goes to the TU.
 *   - CANCEL gets its own non-INVITE server transaction, and the TU is handed the INVITE server
 *     transaction it targets (§9.2: "apply the transaction matching procedures of Section 17.2.3
 *     ... assuming that the request method is anything but CANCEL or ACK"), or null.
 *   - Responses matching no client transaction (2xx retransmissions after Accepted, forked 2xx)
 *     go to the TU (§17.1.1.2, RFC 6026), which may discard them.
 *   - Both tables are bounded (RELIABILITY.md S7, S5): past the limit, new requests get a
 *     stateless 503 with Retry-After and new client requests are refused; every transaction
 *     reaches Terminated by a timer and is then removed.
 */
import type { Clock } from '../../core/clock.js';
import { TransactionError } from '../../core/errors.js';
import { Via, type SipRequest, type SipResponse, type SipMessage } from '../message/index.js';
import { serializeMessage, validateRequest } from '../parser/index.js';
import { responseDestination, viaTransport, type Destination, type Source, type Transport, type TransportProtocol } from '../transport/index.js';
import { InviteClientTransaction } from './invite-client.js';
import { InviteServerTransaction } from './invite-server.js';
import { clientKey, responseKey, serverKey } from './keys.js';
import { createCancel, createResponse, newBranch } from './messages.js';
import { NonInviteClientTransaction } from './non-invite-client.js';
import { NonInviteServerTransaction } from './non-invite-server.js';
import { timerValues, type TimerConfig, type TimerValues } from './timers.js';
import type { ClientTransactionUser, TransactionDeps } from './transaction.js';

export type ServerTransactionAny = InviteServerTransaction | NonInviteServerTransaction;
export type ClientTransactionAny = InviteClientTransaction | NonInviteClientTransaction;

/** The layer above (UA core, later dialogs and the B2BUA), as the transaction layer sees it. */
export interface TransactionUser {
  /** A new request (not ACK, not CANCEL) with the server transaction that will carry the answer. */
  onRequest(req: SipRequest, tx: ServerTransactionAny): void;
  /** A new CANCEL, its own transaction, and the INVITE server transaction it targets (null: answer 481). */
  onCancel(cancel: SipRequest, tx: NonInviteServerTransaction, target: InviteServerTransaction | null): void;
  /** An ACK no transaction absorbed: the ACK for a 2xx (§13.3.1.4), or a stray one. */
  onAck(ack: SipRequest, source: Source): void;
  /** A response matching no client transaction. */
  onStrayResponse?(res: SipResponse, source: Source): void;
  /** A server transaction failed: Timer H (no ACK), TU answer deadline, transport error. */
  onServerError?(err: TransactionError, tx: ServerTransactionAny): void;
}

export interface TransactionLayerOptions {
  clock: Clock;
  timers: TimerConfig;
  transports: readonly Transport[];
  tu: TransactionUser;
  /** Server header on stateless answers (config.sip.userAgent; generic by default, S11). */
  serverHeader: string;
  maxServerTransactions?: number;
  maxClientTransactions?: number;
  /** Seconds in Retry-After of the 503 sent when the server table is full. */
  retryAfterSeconds?: number;
}

export const LAYER_DEFAULTS = { maxServerTransactions: 100_000, maxClientTransactions: 100_000, retryAfterSeconds: 5 } as const;

export class TransactionLayer {
  private readonly opts: TransactionLayerOptions;
  private readonly server = new Map<string, ServerTransactionAny>();
  private readonly client = new Map<string, ClientTransactionAny>();
  private readonly transports = new Map<TransportProtocol, Transport>();
  private readonly timersUnreliable: TimerValues;
  private readonly timersReliable: TimerValues;

  constructor(opts: TransactionLayerOptions) {
    this.opts = opts;
    this.timersUnreliable = timerValues(opts.timers, false);
    this.timersReliable = timerValues(opts.timers, true);
    for (const t of opts.transports) {
      this.transports.set(t.protocol, t);
      t.onMessage((msg, source, transport) => this.receive(msg, source, transport));
    }
  }

  get serverCount(): number {
    return this.server.size;
  }

  get clientCount(): number {
    return this.client.size;
  }

  transport(protocol: TransportProtocol): Transport | undefined {
    return this.transports.get(protocol);
  }

  /** Start a client transaction. A missing top Via is added (sent-by = the transport's address, `;rport`), a missing branch chosen. */
  sendRequest(req: SipRequest, dest: Destination & { protocol: TransportProtocol }, user: ClientTransactionUser): ClientTransactionAny {
    if (req.method === 'ACK') throw new TransactionError('transport', 'ACK is not sent in a transaction (use sendStateless)');
    const transport = this.transports.get(dest.protocol);
    if (!transport) throw new TransactionError('transport', `no ${dest.protocol} transport`);
    if (this.client.size >= (this.opts.maxClientTransactions ?? LAYER_DEFAULTS.maxClientTransactions))
      throw new TransactionError('transport', 'client transaction limit reached');
    let via = req.topVia();
    if (!via) {
      const local = transport.localAddress();
      via = new Via(viaTransport(dest.protocol), local.host, local.port, new Map([['rport', null]]));
      req.headers.prependTyped('via', via);
    }
    if (!via.isRfc3261Branch || via.branch === BRANCH_ONLY_COOKIE) via.branch = newBranch();
    const key = clientKey(via.branch ?? '', req.method);
    if (this.client.has(key)) throw new TransactionError('transport', 'branch already in use');
    const deps: TransactionDeps = { clock: this.opts.clock, timers: this.values(transport), transport, destination: dest };
    const tx = req.method === 'INVITE' ? new InviteClientTransaction(key, req, deps, user) : new NonInviteClientTransaction(key, req, deps, user);
    tx.onTerminated = () => this.client.delete(key);
    this.client.set(key, tx);
    tx.start();
    return tx;
  }

  /**
   * CANCEL a pending INVITE (§9.1): "a CANCEL request SHOULD NOT be sent to cancel a request other than INVITE" and "if no provisional
   * response has been received, the CANCEL request MUST NOT be sent; rather, the client MUST wait for the arrival of a provisional
   * response before sending the request." Does nothing once the INVITE has a final response.
   */
  cancel(invite: InviteClientTransaction, user: ClientTransactionUser): void {
    invite.whenProceeding(() => {
      const cancel = createCancel(invite.request);
      this.sendRequest(cancel, { ...invite.destination, protocol: invite.transport.protocol }, user);
    });
  }

  /** Send a request outside any transaction (the ACK for a 2xx, §13.2.2.4). */
  sendStateless(msg: SipMessage, dest: Destination & { protocol: TransportProtocol }): Promise<void> {
    const transport = this.transports.get(dest.protocol);
    if (!transport) return Promise.reject(new TransactionError('transport', `no ${dest.protocol} transport`));
    return transport.send(serializeMessage(msg), dest);
  }

  /** Answer a request without a transaction (bad requests, overload). */
  respondStateless(req: SipRequest, status: number, reason: string | undefined, source: Source, transport: Transport, extra?: Record<string, string>): void {
    const via = req.topVia();
    if (!via || req.method === 'ACK') return;
    const res = createResponse(req, status, reason);
    res.headers.append('Server', this.opts.serverHeader);
    for (const [k, v] of Object.entries(extra ?? {})) res.headers.append(k, v);
    transport.send(serializeMessage(res), responseDestination(via, source)).catch(() => undefined);
  }

  /** Stop every timer and forget every transaction (shutdown). */
  close(): void {
    for (const tx of this.server.values()) tx.dispose();
    for (const tx of this.client.values()) tx.dispose();
    this.server.clear();
    this.client.clear();
  }

  /** Entry point for every transport (public so tests can inject a parsed message). */
  receive(msg: SipMessage, source: Source, transport: Transport): void {
    if (msg.kind === 'response') {
      const key = responseKey(msg);
      const tx = key === null ? undefined : this.client.get(key);
      if (tx) tx.receiveResponse(msg);
      else this.opts.tu.onStrayResponse?.(msg, source);
      return;
    }
    this.receiveRequest(msg, source, transport);
  }

  private values(t: Transport): TimerValues {
    return t.reliable ? this.timersReliable : this.timersUnreliable;
  }

  private receiveRequest(req: SipRequest, source: Source, transport: Transport): void {
    const v = validateRequest(req);
    if (!v.ok) {
      this.respondStateless(req, v.status, v.reason, source, transport);
      return;
    }
    const key = serverKey(req);
    const via = req.topVia();
    if (key === null || !via) return;
    const existing = this.server.get(key);
    if (req.method === 'ACK') {
      if (existing instanceof InviteServerTransaction && existing.receiveAck(req)) return;
      this.opts.tu.onAck(req, source);
      return;
    }
    if (existing) {
      existing.receiveRequest(req);
      return;
    }
    if (this.server.size >= (this.opts.maxServerTransactions ?? LAYER_DEFAULTS.maxServerTransactions)) {
      // RFC 3261 §21.5.4: 503 "The server MAY indicate when the client should retry the request in a Retry-After header field."
      const retry = String(this.opts.retryAfterSeconds ?? LAYER_DEFAULTS.retryAfterSeconds);
      this.respondStateless(req, 503, undefined, source, transport, { 'Retry-After': retry });
      return;
    }
    const deps: TransactionDeps = { clock: this.opts.clock, timers: this.values(transport), transport, destination: responseDestination(via, source) };
    let tx: ServerTransactionAny;
    const user = { onError: (err: TransactionError) => this.opts.tu.onServerError?.(err, tx) };
    tx = req.method === 'INVITE' ? new InviteServerTransaction(key, req, deps, source, user) : new NonInviteServerTransaction(key, req, deps, source, user);
    tx.onTerminated = () => this.server.delete(key);
    this.server.set(key, tx);
    tx.start();
    try {
      if (req.method === 'CANCEL' && tx instanceof NonInviteServerTransaction) {
        const targetKey = serverKey(req, 'INVITE');
        const target = targetKey === null ? undefined : this.server.get(targetKey);
        this.opts.tu.onCancel(req, tx, target instanceof InviteServerTransaction ? target : null);
      } else this.opts.tu.onRequest(req, tx);
    } catch (err) {
      // A TU bug must not escape into the socket handler: answer 500 if nothing final went out yet.
      if (tx.state === 'proceeding' || tx.state === 'trying') tx.respond(tx.createResponse(500));
      this.opts.tu.onServerError?.(new TransactionError('transport', 'TU failed handling a request', { cause: err }), tx);
    }
  }
}

/** A branch that is only the magic cookie (RFC 4475 badbranch) is not unique: replace it on requests we send. */
const BRANCH_ONLY_COOKIE = 'z9hG4bK';
