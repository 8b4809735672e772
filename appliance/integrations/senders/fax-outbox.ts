/**
 * The fax channel of article sending (knowledge/sending.ts ArticleSender) as an outbox: the
 * article becomes a `fax_jobs` row (migration 0022) with status `pending`, and the delivery stays
 * pending with the job id as its reference. Rendering the text to T.4 pages and dialling are the
 * telephony side's job (a FaxJobWorker, later): it claims pending jobs, marks them sent or
 * failed, and settles the delivery (ArticleDeliveries.settle).
 */
import type { Clock } from '../../core/clock.js';
import { newId } from '../../core/ids.js';
import type { ArticleSender, OutgoingArticle, SendOutcome } from '../../knowledge/sending.js';
import type { Store } from '../../store/database.js';
import { SyncQueries } from '../../store/sync-query.js';

/** Equal to the CHECK of fax_jobs (migration 0022). */
export const FaxJobStatuses = ['pending', 'sending', 'sent', 'failed'] as const;
export type FaxJobStatus = (typeof FaxJobStatuses)[number];

export interface FaxJob {
  id: string;
  recipient: string;
  subject: string;
  document: string;
  source: string;
  sourceRef: string;
  status: FaxJobStatus;
  attempts: number;
  createdAt: number;
}

/** A number a fax line can dial: digits, optionally with a leading +; 5–20 digits. */
export function faxRecipient(raw: string): { ok: true; to: string } | { ok: false; problem: string } {
  const s = raw.replace(/[\s\-()]/g, '');
  return /^\+?\d{5,20}$/.test(s) ? { ok: true, to: s } : { ok: false, problem: 'expected a fax number (digits, e.g. 0371-65551234)' };
}

export class FaxOutbox implements ArticleSender {
  readonly channel = 'fax' as const;
  private readonly q: SyncQueries;

  constructor(private readonly deps: { store: Pick<Store, 'sqlite' | 'db'>; clock: Clock }) {
    this.q = new SyncQueries(deps.store.sqlite);
  }

  recipient(raw: string) {
    return faxRecipient(raw);
  }

  send(msg: OutgoingArticle): Promise<SendOutcome> {
    const now = this.deps.clock.now();
    const id = newId('fax', this.deps.clock);
    this.q.run(
      this.deps.store.db
        .insertInto('fax_jobs')
        .values({ id, recipient: msg.to, subject: msg.title, document: `${msg.title}\n\n${msg.body}`, source: 'kb-delivery', source_ref: msg.deliveryId, status: 'pending', created_at: now, updated_at: now })
        .compile(),
    );
    return Promise.resolve({ status: 'pending', providerRef: id });
  }

  /** Jobs waiting for the fax side, oldest first. */
  pending(limit = 50): FaxJob[] {
    return this.q
      .all(this.deps.store.db.selectFrom('fax_jobs').selectAll().where('status', '=', 'pending').orderBy('created_at').orderBy('id').limit(limit).compile())
      .map((r) => ({ id: r.id, recipient: r.recipient, subject: r.subject, document: r.document, source: r.source, sourceRef: r.source_ref, status: r.status, attempts: r.attempts, createdAt: r.created_at }));
  }
}
