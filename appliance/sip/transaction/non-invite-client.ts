/**
 * Non-INVITE client transaction, RFC 3261 §17.1.2 (Figure 6):
 *
 *   trying ──1xx──▶ proceeding ──200-699──▶ completed ──Timer K──▶ terminated
 *     └──200-699──────────────────────────────▲
 *   trying/proceeding ──Timer F / transport error──▶ terminated
 *
 * Timer E retransmits over UDP only, doubling up to T2 in Trying and every T2 in Proceeding.
 */
import { TransactionError } from '../../core/errors.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import { serializeMessage } from '../parser/index.js';
import { Transaction, type ClientTransactionUser, type TransactionDeps, type TransitionTable } from './transaction.js';

export const NonInviteClientStates = ['trying', 'proceeding', 'completed', 'terminated'] as const;
export type NonInviteClientState = (typeof NonInviteClientStates)[number];

const TABLE: TransitionTable<NonInviteClientState> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class NonInviteClientTransaction extends Transaction<NonInviteClientState> {
  readonly kind = 'non-invite-client' as const;
  protected readonly table = TABLE;
  private readonly user: ClientTransactionUser;
  private readonly bytes: Buffer;

  constructor(key: string, request: SipRequest, deps: TransactionDeps, user: ClientTransactionUser) {
    super(key, request, 'trying', deps);
    this.user = user;
    this.bytes = serializeMessage(request);
  }

  start(): void {
    const t = this.deps.timers;
    this.send(this.bytes);
    // §17.1.2.2: "The "Trying" state is entered when the TU initiates a new client transaction with a request. When entering this state, the client
    // transaction SHOULD set timer F to fire in 64*T1 seconds ... If an unreliable transport is in use, the client transaction MUST set timer E to fire in T1 seconds."
    this.startTimer('F', t.F, () => this.timerF());
    if (!this.transport.reliable) this.startTimer('E', t.E, () => this.timerE(t.E));
  }

  receiveResponse(res: SipResponse): void {
    const s = this.state;
    if (s === 'completed' || s === 'terminated') return; // "...buffer any retransmissions of the final response" (absorbed)
    if (res.status < 200) {
      // "If a provisional response is received while in the "Trying" state, the response MUST be passed to the TU, and then the client transaction SHOULD move to the "Proceeding" state."
      this.user.onResponse(res);
      if (s === 'trying') this.transition('proceeding');
      return;
    }
    // "If a final response (status codes 200-699) is received while in the "Trying" [or "Proceeding"] state, the response MUST be passed to the TU,
    // and the client transaction MUST transition to the "Completed" state."
    this.stopTimer('E');
    this.stopTimer('F');
    this.transition('completed');
    this.user.onResponse(res);
    // "Once the client transaction enters the "Completed" state, it MUST set Timer K to fire in T4 seconds for unreliable transports, and zero seconds for reliable transports."
    this.startTimer('K', this.deps.timers.K, () => this.transition('terminated'));
  }

  private timerE(interval: number): void {
    const t = this.deps.timers;
    if (this.state === 'trying') {
      // "If timer E fires while still in this state, the timer is reset, but this time with a value of MIN(2*T1, T2) ... the next MIN(4*T1, T2), and so on"
      this.send(this.bytes);
      const next = Math.min(interval * 2, t.T2);
      this.startTimer('E', next, () => this.timerE(next));
    } else if (this.state === 'proceeding') {
      // "If Timer E fires while in the "Proceeding" state, the request MUST be passed to the transport layer for retransmission, and Timer E MUST be reset with a value of T2 seconds."
      this.send(this.bytes);
      this.startTimer('E', t.T2, () => this.timerE(t.T2));
    }
  }

  private timerF(): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    // "If Timer F fires while the client transaction is still in the "Trying" [or "Proceeding"] state, the client transaction SHOULD inform the TU
    // about the timeout, and then it SHOULD enter the "Terminated" state."
    this.stopTimer('E');
    this.transition('terminated');
    this.user.onError(new TransactionError('timeout', `${this.request.method} timed out (Timer F)`));
  }

  protected onTransportError(err: TransactionError): void {
    this.transition('terminated');
    this.user.onError(err);
  }
}
