/**
 * INVITE client transaction, RFC 3261 §17.1.1 (Figure 5) as updated by RFC 6026 §8.4 (Accepted
 * state, Timer M):
 *
 *   calling ──1xx──▶ proceeding ──300-699──▶ completed ──Timer D──▶ terminated
 *      │ └─300-699──────────────────────────────▲
 *      ├──2xx──▶ accepted ◀──2xx── proceeding     accepted ──Timer M──▶ terminated
 *      └──Timer B / transport error──▶ terminated
 *
 * Timer A retransmits over UDP only; the ACK for a non-2xx final response is built and sent here
 * (§17.1.1.3); the ACK for a 2xx belongs to the TU (§13.2.2.4).
 */
import { TransactionError } from '../../core/errors.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import { serializeMessage } from '../parser/index.js';
import { createNon2xxAck } from './messages.js';
import { Transaction, type ClientTransactionUser, type TransactionDeps, type TransitionTable } from './transaction.js';

export const InviteClientStates = ['calling', 'proceeding', 'completed', 'accepted', 'terminated'] as const;
export type InviteClientState = (typeof InviteClientStates)[number];

const TABLE: TransitionTable<InviteClientState> = {
  calling: ['proceeding', 'completed', 'accepted', 'terminated'],
  proceeding: ['completed', 'accepted', 'terminated'],
  completed: ['terminated'],
  accepted: ['terminated'],
  terminated: [],
};

export class InviteClientTransaction extends Transaction<InviteClientState> {
  readonly kind = 'invite-client' as const;
  protected readonly table = TABLE;
  private readonly user: ClientTransactionUser;
  private readonly bytes: Buffer;
  private ack: Buffer | null = null;
  private onProceeding: Array<() => void> = [];

  constructor(key: string, request: SipRequest, deps: TransactionDeps, user: ClientTransactionUser) {
    super(key, request, 'calling', deps);
    this.user = user;
    this.bytes = serializeMessage(request);
  }

  /** The ACK this transaction sent for a non-2xx final response, if any. */
  get ackRequest(): Buffer | null {
    return this.ack;
  }

  start(): void {
    const t = this.deps.timers;
    // §17.1.1.2: "The client transaction MUST pass the request to the transport layer for transmission".
    this.send(this.bytes);
    // "If an unreliable transport is being used, the client transaction MUST start timer A with a value of T1."
    if (!this.transport.reliable) this.startTimer('A', t.A, () => this.timerA(t.A));
    // "For any transport, the client transaction MUST start timer B with a value of 64*T1 seconds"
    this.startTimer('B', t.B, () => this.timerB());
  }

  /** Run `fn` once a provisional response has arrived (§9.1: CANCEL waits for one); dropped if the transaction ends first. */
  whenProceeding(fn: () => void): void {
    if (this.state === 'proceeding') fn();
    else if (this.state === 'calling') this.onProceeding.push(fn);
  }

  receiveResponse(res: SipResponse): void {
    const s = this.state;
    if (res.status < 200) {
      if (s === 'calling') {
        // "If the client transaction receives a provisional response while in the "Calling" state, it transitions to the "Proceeding" state."
        this.stopTimer('A');
        this.stopTimer('B');
        this.transition('proceeding');
        const waiting = this.onProceeding;
        this.onProceeding = [];
        this.startTimer('C', this.deps.timers.C, () => this.timerC());
        this.user.onResponse(res);
        for (const fn of waiting) fn();
      } else if (s === 'proceeding') {
        // "...the provisional response MUST be passed to the TU."
        this.startTimer('C', this.deps.timers.C, () => this.timerC());
        this.user.onResponse(res);
      }
      return;
    }
    if (res.status < 300) {
      if (s === 'calling' || s === 'proceeding') {
        // RFC 6026 §8.4: "the client transaction MUST transition to the "Accepted" state, and Timer M MUST be started with a value of 64*T1."
        this.stopAll();
        this.transition('accepted');
        this.startTimer('M', this.deps.timers.M, () => this.transition('terminated'));
        this.user.onResponse(res);
      } else if (s === 'accepted') {
        // RFC 6026 §8.4: "Any 2xx responses that match this client transaction and that are received while in the "Accepted" state MUST be passed up to the TU."
        this.user.onResponse(res);
      }
      return;
    }
    if (s === 'calling' || s === 'proceeding') {
      // §17.1.1.2: "When in either the "Calling" or "Proceeding" states, reception of a response with status code from 300-699 MUST cause the client
      // transaction to transition to "Completed". The client transaction MUST pass the received response up to the TU, and the client transaction MUST
      // generate an ACK request, even if the transport is reliable".
      this.stopAll();
      this.transition('completed');
      this.ack = serializeMessage(createNon2xxAck(this.request, res));
      this.send(this.ack);
      this.user.onResponse(res);
      // "The client transaction SHOULD start timer D when it enters the "Completed" state"
      this.startTimer('D', this.deps.timers.D, () => this.timerD());
    } else if (s === 'completed' && this.ack) {
      // "Any retransmissions of the final response that are received while in the "Completed" state MUST cause the ACK to be re-passed to the
      // transport layer for retransmission, but the newly received response MUST NOT be passed up to the TU."
      this.send(this.ack);
    }
  }

  private stopAll(): void {
    this.stopTimer('A');
    this.stopTimer('B');
    this.stopTimer('C');
    this.onProceeding = [];
  }

  private timerA(interval: number): void {
    if (this.state !== 'calling') return;
    // "When timer A fires, the client transaction MUST retransmit the request by passing it to the transport layer, and MUST reset the timer with a value of 2*T1."
    this.send(this.bytes);
    const next = interval * 2;
    this.startTimer('A', next, () => this.timerA(next));
  }

  private timerB(): void {
    if (this.state !== 'calling') return;
    // "If the client transaction is still in the "Calling" state when timer B fires, the client transaction SHOULD inform the TU that a timeout has occurred."
    this.stopAll();
    this.transition('terminated');
    this.user.onError(new TransactionError('timeout', 'INVITE timed out (Timer B)'));
  }

  private timerC(): void {
    if (this.state !== 'proceeding') return;
    this.stopAll();
    this.transition('terminated');
    this.user.onError(new TransactionError('timeout', 'INVITE stuck in Proceeding (Timer C)'));
  }

  private timerD(): void {
    // "If timer D fires while the client transaction is in the "Completed" state, the client transaction MUST move to the terminated state."
    if (this.state === 'completed') this.transition('terminated');
  }

  protected onTransportError(err: TransactionError): void {
    // §17.1.4: "the client transaction SHOULD inform the TU that a transport failure has occurred, and the client transaction SHOULD transition directly to the "Terminated" state."
    this.stopAll();
    this.transition('terminated');
    this.user.onError(err);
  }
}
