/**
 * Non-INVITE server transaction, RFC 3261 §17.2.2 (Figure 8):
 *
 *   trying ──1xx──▶ proceeding ──200-699──▶ completed ──Timer J──▶ terminated
 *     └──200-699──────────────────────────────▲
 *   any ──transport error──▶ terminated
 *
 * A TU that never answers gets a 500 after 64*T1 (the client gave up at Timer F anyway), so
 * the transaction still ends (RELIABILITY.md S7).
 */
import { TransactionError } from '../../core/errors.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import { serializeMessage } from '../parser/index.js';
import type { Source } from '../transport/index.js';
import { ServerTransaction, type ServerTransactionUser } from './server-transaction.js';
import type { TransactionDeps, TransitionTable } from './transaction.js';

export const NonInviteServerStates = ['trying', 'proceeding', 'completed', 'terminated'] as const;
export type NonInviteServerState = (typeof NonInviteServerStates)[number];

const TABLE: TransitionTable<NonInviteServerState> = {
  trying: ['proceeding', 'completed', 'terminated'],
  proceeding: ['completed', 'terminated'],
  completed: ['terminated'],
  terminated: [],
};

export class NonInviteServerTransaction extends ServerTransaction<NonInviteServerState> {
  readonly kind = 'non-invite-server' as const;
  protected readonly table = TABLE;
  private last: Buffer | null = null;
  finalStatus: number | null = null;

  constructor(key: string, request: SipRequest, deps: TransactionDeps, source: Source, user: ServerTransactionUser) {
    super(key, request, 'trying', deps, source, user);
  }

  start(): void {
    this.startTimer('answer', this.deps.timers.answerNonInvite, () => {
      if (this.state === 'trying' || this.state === 'proceeding') {
        this.respond(this.createResponse(500));
        this.user.onError(new TransactionError('timeout', `TU did not answer ${this.request.method}`));
      }
    });
  }

  respond(res: SipResponse): void {
    const s = this.state;
    if (s !== 'trying' && s !== 'proceeding') this.illegal(`respond ${res.status}`);
    const bytes = serializeMessage(res);
    this.last = bytes;
    if (res.status < 200) {
      // §17.2.2: "While in the "Trying" state, if the TU passes a provisional response to the server transaction, the server transaction MUST enter
      // the "Proceeding" state. The response MUST be passed to the transport layer for transmission."
      if (s === 'trying') this.transition('proceeding');
      this.send(bytes);
      return;
    }
    // "If the TU passes a final response (status codes 200-699) to the server while in the "Proceeding" [or "Trying"] state, the transaction MUST
    // enter the "Completed" state, and the response MUST be passed to the transport layer for transmission."
    this.stopTimer('answer');
    this.finalStatus = res.status;
    this.transition('completed');
    this.send(bytes);
    // "When the server transaction enters the "Completed" state, it MUST set Timer J to fire in 64*T1 seconds for unreliable transports, and zero seconds for reliable transports."
    this.startTimer('J', this.deps.timers.J, () => this.transition('terminated'));
  }

  receiveRequest(_req: SipRequest): void {
    // "Once in the "Trying" state, any further request retransmissions are discarded." "If a retransmission of the request is received while in
    // the "Proceeding" state, the most recently sent provisional response MUST be passed to the transport layer for retransmission." "While in the
    // "Completed" state, the server transaction MUST pass the final response to the transport layer for retransmission whenever a retransmission
    // of the request is received."
    if ((this.state === 'proceeding' || this.state === 'completed') && this.last) this.send(this.last);
  }

  protected onTransportError(err: TransactionError): void {
    this.transition('terminated');
    this.user.onError(err);
  }
}
