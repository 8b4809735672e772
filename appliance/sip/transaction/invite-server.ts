/**
 * INVITE server transaction, RFC 3261 §17.2.1 (Figure 7) as updated by RFC 6026 §8.5-§8.7
 * (Accepted state, Timer L: the 2xx no longer ends the transaction, so retransmitted INVITEs are
 * absorbed instead of being taken for new calls):
 *
 *   proceeding ──1xx──▶ proceeding
 *       ├──2xx──▶ accepted ──Timer L──▶ terminated
 *       └──300-699──▶ completed ──ACK──▶ confirmed ──Timer I──▶ terminated
 *                        └──Timer H──▶ terminated (TU told: no ACK)
 *   any ──transport error──▶ terminated
 *
 * A 100 Trying goes out by itself when the TU has not answered within 200 ms; Timer G
 * retransmits the final response over UDP only.
 */
import { TransactionError } from '../../core/errors.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import { serializeMessage } from '../parser/index.js';
import type { Source } from '../transport/index.js';
import { ServerTransaction, type ServerTransactionUser } from './server-transaction.js';
import type { TransactionDeps, TransitionTable } from './transaction.js';

export const InviteServerStates = ['proceeding', 'completed', 'confirmed', 'accepted', 'terminated'] as const;
export type InviteServerState = (typeof InviteServerStates)[number];

const TABLE: TransitionTable<InviteServerState> = {
  proceeding: ['completed', 'accepted', 'terminated'],
  completed: ['confirmed', 'terminated'],
  confirmed: ['terminated'],
  accepted: ['terminated'],
  terminated: [],
};

export class InviteServerTransaction extends ServerTransaction<InviteServerState> {
  readonly kind = 'invite-server' as const;
  protected readonly table = TABLE;
  private last: Buffer | null = null;
  private answered = false;

  constructor(key: string, request: SipRequest, deps: TransactionDeps, source: Source, user: ServerTransactionUser) {
    super(key, request, 'proceeding', deps, source, user);
  }

  /** The final status sent, if any. */
  finalStatus: number | null = null;

  start(): void {
    const t = this.deps.timers;
    // §17.2.1: "The server transaction MUST generate a 100 (Trying) response unless it knows that the TU will generate a provisional or final response within 200 ms".
    this.startTimer('trying', t.trying, () => {
      if (this.state === 'proceeding' && !this.answered) this.respond(this.createResponse(100));
    });
    this.startTimer('answer', t.answerInvite, () => {
      if (this.state === 'proceeding') this.respond(this.createResponse(500));
    });
  }

  respond(res: SipResponse): void {
    const s = this.state;
    const bytes = serializeMessage(res);
    if (s === 'accepted' && res.status >= 200 && res.status < 300) {
      // RFC 6026 §8.6: "...a 2xx response passed from the TU in the "Accepted" state MUST be passed to the transport layer for transmission."
      this.send(bytes);
      return;
    }
    if (s !== 'proceeding') this.illegal(`respond ${res.status}`);
    this.answered = true;
    this.stopTimer('trying');
    if (res.status < 200) {
      // §17.2.1: "The TU passes any number of provisional responses to the server transaction. So long as the server transaction is in the
      // "Proceeding" state, each of these MUST be passed to the transport layer for transmission."
      this.last = bytes;
      this.send(bytes);
      return;
    }
    this.stopTimer('answer');
    this.finalStatus = res.status;
    this.last = bytes;
    if (res.status < 300) {
      // RFC 6026 §8.5: "If, while in the "Proceeding" state, the TU passes a 2xx response to the server transaction, the server transaction MUST pass
      // this response to the transport layer for transmission ... The server transaction MUST then transition to the "Accepted" state."
      this.transition('accepted');
      this.send(bytes);
      // RFC 6026 §8.7: "Timer L ... MUST be set to fire in 64*T1 seconds"
      this.startTimer('L', this.deps.timers.L, () => this.transition('terminated'));
      return;
    }
    // §17.2.1: "While in the "Proceeding" state, if the TU passes a response with status code from 300 to 699 to the server transaction, the
    // response MUST be passed to the transport layer for transmission, and the state machine MUST enter the "Completed" state. For unreliable
    // transports, timer G is set to fire in T1 seconds, and is not set to fire for reliable transports."
    this.transition('completed');
    this.send(bytes);
    const t = this.deps.timers;
    if (!this.transport.reliable) this.startTimer('G', t.G, () => this.timerG(t.G));
    // "When the "Completed" state is entered, timer H MUST be set to fire in 64*T1 seconds for all transports."
    this.startTimer('H', t.H, () => this.timerH());
  }

  receiveRequest(_req: SipRequest): void {
    // §17.2.1: "If a request retransmission is received while in the "Proceeding" state, the most recent provisional response that was received
    // from the TU MUST be passed to the transport layer for retransmission." ... "while in the "Completed" state ... the server SHOULD pass the
    // response to the transport for retransmission". RFC 6026 §8.7: in "Accepted" the INVITE is absorbed, never passed to the TU.
    if ((this.state === 'proceeding' || this.state === 'completed') && this.last) this.send(this.last);
  }

  /** An ACK matched this transaction. Returns false when it is an ACK the TU must see (Accepted: an ACK for the 2xx). */
  receiveAck(_ack: SipRequest): boolean {
    if (this.state === 'completed') {
      // §17.2.1: "If an ACK is received while the server transaction is in the "Completed" state, the server transaction MUST transition to the
      // "Confirmed" state. As Timer G is ignored in this state, any retransmissions of the response will cease." ... "When this state is
      // entered, timer I is set to fire in T4 seconds for unreliable transports, and zero seconds for reliable transports."
      this.stopTimer('G');
      this.stopTimer('H');
      this.transition('confirmed');
      this.startTimer('I', this.deps.timers.I, () => this.transition('terminated'));
      return true;
    }
    return this.state !== 'accepted';
  }

  private timerG(interval: number): void {
    if (this.state !== 'completed' || !this.last) return;
    // "If timer G fires, the response is passed to the transport layer once more for retransmission, and timer G is set to fire in MIN(2*T1, T2) seconds."
    this.send(this.last);
    const next = Math.min(interval * 2, this.deps.timers.T2);
    this.startTimer('G', next, () => this.timerG(next));
  }

  private timerH(): void {
    if (this.state !== 'completed') return;
    // "If timer H fires while in the "Completed" state, it implies that the ACK was never received. In this case, the server transaction MUST
    // transition to the "Terminated" state, and MUST indicate to the TU that a transaction failure has occurred."
    this.stopTimer('G');
    this.transition('terminated');
    this.user.onError(new TransactionError('timeout', 'no ACK for the final response (Timer H)'));
  }

  protected onTransportError(err: TransactionError): void {
    // §17.2.4: "the server transaction ... SHOULD inform the TU of a failure, and SHOULD transition to the terminated state."
    this.transition('terminated');
    this.user.onError(err);
  }
}
