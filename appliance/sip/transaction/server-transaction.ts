/**
 * What both server machines share (RFC 3261 §17.2): the TU answers through `respond()`; the
 * To tag is fixed per transaction so every response of it carries the same one (§8.2.6.2); the
 * TU hears about Timer H and transport failures through ServerTransactionUser.
 */
import { InvalidTransitionError, type TransactionError } from '../../core/errors.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Source } from '../transport/index.js';
import { createResponse, newTag } from './messages.js';
import { Transaction, type TransactionDeps } from './transaction.js';

export interface ServerTransactionUser {
  /** Timer H fired (no ACK), the TU never answered, or the transport failed. */
  onError(err: TransactionError): void;
}

export abstract class ServerTransaction<S extends string> extends Transaction<S> {
  readonly source: Source;
  protected readonly user: ServerTransactionUser;
  private tag: string | null = null;

  constructor(key: string, request: SipRequest, initial: S, deps: TransactionDeps, source: Source, user: ServerTransactionUser) {
    super(key, request, initial, deps);
    this.source = source;
    this.user = user;
  }

  /** The To tag this transaction's responses carry (the request's, or one chosen here). */
  get toTag(): string {
    this.tag ??= this.request.to()?.tag ?? newTag();
    return this.tag;
  }

  /** A response to this transaction's request (§8.2.6.2), To tag included for status > 100. */
  createResponse(status: number, reason?: string): SipResponse {
    return createResponse(this.request, status, reason, this.toTag);
  }

  abstract respond(res: SipResponse): void;
  /** A retransmission of the request that created this transaction. */
  abstract receiveRequest(req: SipRequest): void;

  protected illegal(what: string): never {
    throw new InvalidTransitionError(`SIP ${this.kind} transaction`, this.state, what);
  }
}
