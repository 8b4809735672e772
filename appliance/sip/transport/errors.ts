/**
 * Transport failures as typed values (STYLE.md errors): a send that could not leave the host
 * (ICMP-refused UDP, a TCP connect failure, a closed connection). The transaction layer wraps it
 * into TransactionError kind 'transport' (RFC 3261 §17.1.4, §17.2.4) and keeps it as `cause`.
 */
import { AppError } from '../../core/errors.js';

export class TransportError extends AppError {
  readonly destination: string;

  constructor(destination: string, message: string, options?: { cause?: unknown }) {
    super('SIP_TRANSPORT', message, options);
    this.destination = destination;
  }
}
