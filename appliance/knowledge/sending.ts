/**
 * Sending a knowledge article to a customer (issue 8 "Knowledge base": "send an article to a
 * customer by fax/SMS/e-mail through pluggable senders"). The knowledge base decides WHAT may
 * leave the building — a published, public, currently valid article, its published text — and
 * keeps a delivery record; HOW it travels is an ArticleSender per channel, implemented outside
 * (integrations/senders: an HTTP SMS gateway, SMTP, the fax outbox telephony drains later).
 *
 * A delivery row is written `pending` before the sender is called and updated with its answer
 * (sent / failed / still pending for a fax waiting in the outbox), so a crash mid-send leaves
 * a visible pending row, never a silent loss. Events: knowledge.article.sent,
 * knowledge.delivery.failed.
 */
import type { Clock } from '../core/clock.js';
import { AppError, NotFoundError, ValidationError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newMonotonicId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import type { Store } from '../store/database.js';
import type { KbDeliveriesTable } from '../store/schema.js';
import { SyncQueries } from '../store/sync-query.js';
import type { Selectable } from 'kysely';
import type { KnowledgeService } from './knowledge-service.js';

/** Equal to the CHECK of kb_deliveries (migration 0022). */
export const SendChannels = ['sms', 'email', 'fax'] as const;
export type SendChannel = (typeof SendChannels)[number];
export const DeliveryStatuses = ['pending', 'sent', 'failed'] as const;
export type DeliveryStatus = (typeof DeliveryStatuses)[number];

export interface OutgoingArticle {
  deliveryId: string;
  articleId: string;
  version: number;
  title: string;
  body: string;
  /** The recipient as the sender normalised it. */
  to: string;
}

export type SendOutcome =
  | { status: 'sent'; providerRef: string | null; parts?: number }
  /** Accepted for later sending (a fax job in the outbox). */
  | { status: 'pending'; providerRef: string; parts?: number }
  | { status: 'failed'; error: string };

/** The port: one per channel. */
export interface ArticleSender {
  readonly channel: SendChannel;
  /** The recipient in the form the sender uses, or a problem for the field error. */
  recipient(raw: string): { ok: true; to: string } | { ok: false; problem: string };
  send(msg: OutgoingArticle): Promise<SendOutcome>;
}

export interface Delivery {
  id: string;
  articleId: string;
  articleVersion: number;
  channel: SendChannel;
  to: string;
  customerId: string | null;
  status: DeliveryStatus;
  providerRef: string | null;
  parts: number | null;
  error: string | null;
  requestedBy: string;
  requestedAt: number;
  completedAt: number | null;
}

export interface SendRequest {
  channel: SendChannel;
  to: string;
  customerId?: string | null;
}

declare module '../core/events.js' {
  interface EventMap {
    'knowledge.article.sent': { deliveryId: string; articleId: string; channel: SendChannel; status: 'sent' | 'pending'; customerId: string | null; actor: string };
    'knowledge.delivery.failed': { deliveryId: string; articleId: string; channel: SendChannel; error: string; actor: string };
  }
}

/** The article may not be sent: internal (403), or not published / not valid now (409); the message says why. */
export class ArticleNotSendableError extends AppError {
  constructor(code: 'FORBIDDEN' | 'INVALID_TRANSITION', message: string) {
    super(code, message);
  }
}

export interface ArticleDeliveryDeps {
  store: Pick<Store, 'sqlite' | 'db'>;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  knowledge: Pick<KnowledgeService, 'get'>;
  senders: readonly ArticleSender[];
}

type Row = Selectable<KbDeliveriesTable>;

function toDelivery(r: Row): Delivery {
  return {
    id: r.id,
    articleId: r.article_id,
    articleVersion: r.article_version,
    channel: r.channel,
    to: r.recipient,
    customerId: r.customer_id,
    status: r.status,
    providerRef: r.provider_ref,
    parts: r.parts,
    error: r.error,
    requestedBy: r.requested_by,
    requestedAt: r.requested_at,
    completedAt: r.completed_at,
  };
}

export class ArticleDeliveries {
  private readonly q: SyncQueries;
  private readonly senders = new Map<SendChannel, ArticleSender>();

  constructor(private readonly deps: ArticleDeliveryDeps) {
    this.q = new SyncQueries(deps.store.sqlite);
    for (const s of deps.senders) this.senders.set(s.channel, s);
  }

  /** Channels with a sender wired. */
  get channels(): SendChannel[] {
    return SendChannels.filter((c) => this.senders.has(c));
  }

  async send(articleId: string, req: SendRequest, actor: { id: string }): Promise<Delivery> {
    const sender = this.senders.get(req.channel);
    if (!sender) throw new ValidationError(`no ${req.channel} sender is configured`, [{ path: 'channel', message: `no ${req.channel} sender is configured on this appliance` }]);
    const to = sender.recipient(req.to);
    if (!to.ok) throw new ValidationError(`bad ${req.channel} recipient`, [{ path: 'to', message: to.problem }]);
    const a = this.deps.knowledge.get(articleId);
    const now = this.deps.clock.now();
    if (a.status !== 'published' || a.publishedVersion === null) throw new ArticleNotSendableError('INVALID_TRANSITION', `article ${a.id} is ${a.status}, not published`);
    if (a.visibility !== 'public') throw new ArticleNotSendableError('FORBIDDEN', `article ${a.id} is internal: only public articles may be sent to customers`);
    if ((a.validFrom !== null && now < a.validFrom) || (a.validTo !== null && now >= a.validTo)) throw new ArticleNotSendableError('INVALID_TRANSITION', `article ${a.id} is not valid now`);

    const id = newMonotonicId('kbd', this.deps.clock);
    const customerId = req.customerId ?? null;
    this.q.run(
      this.deps.store.db
        .insertInto('kb_deliveries')
        .values({ id, article_id: a.id, article_version: a.publishedVersion, channel: req.channel, recipient: to.to, customer_id: customerId, status: 'pending', requested_by: actor.id, requested_at: now })
        .compile(),
    );
    let outcome: SendOutcome;
    try {
      outcome = await sender.send({ deliveryId: id, articleId: a.id, version: a.publishedVersion, title: a.title, body: a.body, to: to.to });
    } catch (err) {
      outcome = { status: 'failed', error: (err as Error).message };
    }
    const done = this.deps.clock.now();
    if (outcome.status === 'failed') {
      this.q.run(this.deps.store.db.updateTable('kb_deliveries').set({ status: 'failed', error: outcome.error, completed_at: done }).where('id', '=', id).compile());
      this.deps.log.warn({ deliveryId: id, channel: req.channel, error: outcome.error }, 'article delivery failed');
      this.deps.bus.publish('knowledge.delivery.failed', { deliveryId: id, articleId: a.id, channel: req.channel, error: outcome.error, actor: actor.id });
    } else {
      this.q.run(
        this.deps.store.db
          .updateTable('kb_deliveries')
          .set({ status: outcome.status, provider_ref: outcome.providerRef, parts: outcome.parts ?? null, completed_at: outcome.status === 'sent' ? done : null })
          .where('id', '=', id)
          .compile(),
      );
      this.deps.bus.publish('knowledge.article.sent', { deliveryId: id, articleId: a.id, channel: req.channel, status: outcome.status, customerId, actor: actor.id });
    }
    return this.get(id);
  }

  get(id: string): Delivery {
    const r = this.q.first(this.deps.store.db.selectFrom('kb_deliveries').selectAll().where('id', '=', id).compile());
    if (!r) throw new NotFoundError('delivery', id);
    return toDelivery(r);
  }

  /** An article's deliveries, newest first. */
  list(articleId: string, limit = 100): Delivery[] {
    return this.q
      .all(this.deps.store.db.selectFrom('kb_deliveries').selectAll().where('article_id', '=', articleId).orderBy('requested_at', 'desc').orderBy('id', 'desc').limit(limit).compile())
      .map(toDelivery);
  }

  /** Settle a pending delivery (the fax side reports back). */
  settle(id: string, outcome: { status: 'sent' } | { status: 'failed'; error: string }): Delivery {
    const d = this.get(id);
    if (d.status !== 'pending') return d;
    this.q.run(
      this.deps.store.db
        .updateTable('kb_deliveries')
        .set(outcome.status === 'sent' ? { status: 'sent', completed_at: this.deps.clock.now() } : { status: 'failed', error: outcome.error, completed_at: this.deps.clock.now() })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .compile(),
    );
    return this.get(id);
  }
}
