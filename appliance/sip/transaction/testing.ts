/**
 * Test helpers for the transaction layer: a recording TransactionUser and a request builder.
 */
import type { TransactionError } from '../../core/errors.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import { parseMessage } from '../parser/index.js';
import type { Source } from '../transport/index.js';
import type { InviteServerTransaction } from './invite-server.js';
import type { ServerTransactionAny, TransactionUser } from './layer.js';
import type { NonInviteServerTransaction } from './non-invite-server.js';
import type { ClientTransactionUser } from './transaction.js';

export class RecordingUser implements TransactionUser {
  requests: Array<{ req: SipRequest; tx: ServerTransactionAny }> = [];
  cancels: Array<{ req: SipRequest; tx: NonInviteServerTransaction; target: InviteServerTransaction | null }> = [];
  acks: SipRequest[] = [];
  stray: SipResponse[] = [];
  errors: Array<{ err: TransactionError; tx: ServerTransactionAny }> = [];
  /** Optional automatic answer. */
  answer: ((req: SipRequest, tx: ServerTransactionAny) => void) | null = null;

  onRequest(req: SipRequest, tx: ServerTransactionAny): void {
    this.requests.push({ req, tx });
    this.answer?.(req, tx);
  }

  onCancel(req: SipRequest, tx: NonInviteServerTransaction, target: InviteServerTransaction | null): void {
    this.cancels.push({ req, tx, target });
  }

  onAck(ack: SipRequest, _source: Source): void {
    this.acks.push(ack);
  }

  onStrayResponse(res: SipResponse): void {
    this.stray.push(res);
  }

  onServerError(err: TransactionError, tx: ServerTransactionAny): void {
    this.errors.push({ err, tx });
  }
}

export class RecordingClientUser implements ClientTransactionUser {
  responses: SipResponse[] = [];
  errors: TransactionError[] = [];

  onResponse(res: SipResponse): void {
    this.responses.push(res);
  }

  onError(err: TransactionError): void {
    this.errors.push(err);
  }

  get statuses(): number[] {
    return this.responses.map((r) => r.status);
  }
}

let seq = 0;

/** A request without Via (the layer adds one), unique Call-ID. */
export function request(method: string, opts: { callId?: string; cseq?: number; via?: string; extra?: string[] } = {}): SipRequest {
  seq++;
  const lines = [
    `${method} sip:1002@192.0.2.2 SIP/2.0`,
    ...(opts.via ? [`Via: ${opts.via}`] : []),
    'Max-Forwards: 70',
    'From: <sip:1001@192.0.2.1>;tag=from1',
    'To: <sip:1002@192.0.2.2>',
    `Call-ID: ${opts.callId ?? `call-${seq}@192.0.2.1`}`,
    `CSeq: ${opts.cseq ?? 1} ${method}`,
    ...(opts.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ];
  const m = parseMessage(Buffer.from(lines.join('\r\n')));
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}
