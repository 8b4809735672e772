/**
 * Messages and announcements (issue 8 "Messages and announcements": "real-time messages (new
 * assignment, urge, return, SLA warning) that open the order in one click, internal
 * announcements (内部公告) to users/groups with read receipts and a priority flag"; seeds [W 2.4,
 * W 7]). A message is addressed to one user, department or role and is read by each reading
 * person separately (message_reads); an announcement has an audience (everyone, users,
 * departments, roles), a validity window and read receipts. Every new message or announcement
 * is published on the bus (`message.message.sent`, `message.announcement.published`) for the
 * SSE boards. This module knows nothing of work orders: an order is a plain `orderId` link.
 */
import { sql, type ExpressionBuilder } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import { newId, newMonotonicId } from '../core/ids.js';
import type { Logger } from '../core/log.js';
import type { Store } from '../store/database.js';
import type { Database, MessagesTable } from '../store/schema.js';
import { SyncQueries } from '../store/sync-query.js';

export const RecipientKinds = ['user', 'department', 'role'] as const;
export const MessageKinds = ['assigned', 'urge', 'returned', 'replied', 'sla-warn', 'sla-breach', 'escalation', 'visit', 'reopened', 'note'] as const;
export type MessageKind = (typeof MessageKinds)[number];
export const MessagePriorities = ['normal', 'high'] as const;
export type MessagePriority = (typeof MessagePriorities)[number];
export const AudienceKinds = ['all', 'user', 'department', 'role'] as const;

const Name = z.string().regex(/^[\w.@:-]{1,80}$/, 'expected an id such as user:42, field or supervisor');
export const RecipientSchema = z.object({ kind: z.enum(RecipientKinds), id: Name });
export type Recipient = z.infer<typeof RecipientSchema>;

/** Milliseconds since the epoch, within what a date can show (1970 – 9999). */
const Instant = z.number().int().min(0).max(253_402_300_799_999);

export const SendSchema = z.strictObject({
  to: RecipientSchema,
  kind: z.enum(MessageKinds).default('note'),
  priority: z.enum(MessagePriorities).default('normal'),
  title: z.string().trim().min(1).max(200),
  body: z.string().max(4000).default(''),
  orderId: z.string().regex(/^[\w-]{1,64}$/, 'a work-order id').nullable().default(null),
  expiresAt: Instant.nullable().default(null),
});
export type SendInput = z.input<typeof SendSchema>;

export const AudienceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.enum(RecipientKinds), id: Name }),
]);
export type Audience = z.infer<typeof AudienceSchema>;

export const AnnounceSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    body: z.string().trim().min(1).max(20_000),
    priority: z.enum(MessagePriorities).default('normal'),
    audience: z.array(AudienceSchema).min(1, 'name at least one audience'),
    validFrom: Instant.optional(),
    validTo: Instant.nullable().default(null),
  })
  .superRefine((a, ctx) => {
    if (a.validTo !== null && a.validFrom !== undefined && a.validTo <= a.validFrom)
      ctx.addIssue({ code: 'custom', path: ['validTo'], message: 'validTo must be after validFrom' });
  });
export type AnnounceInput = z.input<typeof AnnounceSchema>;

/** Who is reading: the person and the groups they belong to. */
export interface Reader {
  id: string;
  roles: readonly string[];
  departmentIds: readonly string[];
}

export interface Message {
  id: string;
  to: Recipient;
  kind: MessageKind;
  priority: MessagePriority;
  title: string;
  body: string;
  orderId: string | null;
  sender: string;
  createdAt: number;
  expiresAt: number | null;
  readAt: number | null;
}

export interface Announcement {
  id: string;
  title: string;
  body: string;
  priority: MessagePriority;
  audience: Audience[];
  validFrom: number;
  validTo: number | null;
  createdBy: string;
  createdAt: number;
  withdrawnAt: number | null;
  readAt: number | null;
}

export interface MessageSentPayload {
  messageId: string;
  to: Recipient;
  kind: MessageKind;
  priority: MessagePriority;
  title: string;
  orderId: string | null;
}

declare module '../core/events.js' {
  interface EventMap {
    'message.message.sent': MessageSentPayload;
    'message.message.read': { messageId: string; userId: string };
    'message.announcement.published': { announcementId: string; title: string; priority: MessagePriority; audience: Audience[]; validFrom: number };
    'message.announcement.read': { announcementId: string; userId: string };
  }
}

export interface MessageServiceDeps {
  store: Pick<Store, 'sqlite' | 'db'>;
  clock: Clock;
  bus: EventBus;
  log: Logger;
}

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success)
    throw new ValidationError(`invalid ${what}`, r.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })));
  return r.data;
}

export class MessageService {
  private readonly q: SyncQueries;

  constructor(private readonly deps: MessageServiceDeps) {
    this.q = new SyncQueries(deps.store.sqlite);
  }

  private get db(): MessageServiceDeps['store']['db'] {
    return this.deps.store.db;
  }

  // ------------------------------------------------------------------ messages

  send(input: SendInput, sender: string): Message {
    const m = parse(SendSchema, input, 'message');
    const now = this.deps.clock.now();
    const id = newMonotonicId('msg', this.deps.clock);
    this.q.run(
      this.db
        .insertInto('messages')
        .values({ id, recipient_kind: m.to.kind, recipient_id: m.to.id, kind: m.kind, priority: m.priority, title: m.title, body: m.body, order_id: m.orderId, sender, created_at: now, expires_at: m.expiresAt })
        .compile(),
    );
    this.deps.bus.publish('message.message.sent', { messageId: id, to: m.to, kind: m.kind, priority: m.priority, title: m.title, orderId: m.orderId });
    return { id, to: m.to, kind: m.kind, priority: m.priority, title: m.title, body: m.body, orderId: m.orderId, sender, createdAt: now, expiresAt: m.expiresAt, readAt: null };
  }

  private addressedTo(r: Reader) {
    return (eb: ExpressionBuilder<Database & { m: MessagesTable }, 'm'>) =>
      eb.or([
        eb.and([eb('m.recipient_kind', '=', 'user'), eb('m.recipient_id', '=', r.id)]),
        ...(r.departmentIds.length > 0 ? [eb.and([eb('m.recipient_kind', '=', 'department'), eb('m.recipient_id', 'in', [...r.departmentIds])])] : []),
        ...(r.roles.length > 0 ? [eb.and([eb('m.recipient_kind', '=', 'role'), eb('m.recipient_id', 'in', [...r.roles])])] : []),
      ]);
  }

  /** The reader's inbox, newest first: messages to them, their departments and roles, not expired. */
  inbox(r: Reader, opts: { unreadOnly?: boolean; limit?: number } = {}): Message[] {
    const now = this.deps.clock.now();
    let q = this.db
      .selectFrom('messages as m')
      .leftJoin('message_reads as r', (j) => j.onRef('r.message_id', '=', 'm.id').on('r.user_id', '=', r.id))
      .selectAll('m')
      .select('r.read_at')
      .where(this.addressedTo(r))
      .where((eb) => eb.or([eb('m.expires_at', 'is', null), eb('m.expires_at', '>', now)]));
    if (opts.unreadOnly) q = q.where('r.read_at', 'is', null);
    return this.q.all(q.orderBy('m.created_at', 'desc').orderBy('m.id', 'desc').limit(opts.limit ?? 100).compile()).map((m) => ({
      id: m.id,
      to: { kind: m.recipient_kind as Recipient['kind'], id: m.recipient_id },
      kind: m.kind as MessageKind,
      priority: m.priority as MessagePriority,
      title: m.title,
      body: m.body,
      orderId: m.order_id,
      sender: m.sender,
      createdAt: m.created_at,
      expiresAt: m.expires_at,
      readAt: m.read_at,
    }));
  }

  unreadCount(r: Reader): number {
    const now = this.deps.clock.now();
    const row = this.q.first(
      this.db
        .selectFrom('messages as m')
        .leftJoin('message_reads as r', (j) => j.onRef('r.message_id', '=', 'm.id').on('r.user_id', '=', r.id))
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(this.addressedTo(r))
        .where('r.read_at', 'is', null)
        .where((eb) => eb.or([eb('m.expires_at', 'is', null), eb('m.expires_at', '>', now)]))
        .compile(),
    );
    return row?.n ?? 0;
  }

  /** Read receipt; only a recipient can read a message (anyone else: NotFoundError). Idempotent. */
  markRead(messageId: string, r: Reader): void {
    const m = this.q.first(this.db.selectFrom('messages as m').select('m.id').where('m.id', '=', messageId).where(this.addressedTo(r)).compile());
    if (!m) throw new NotFoundError('message', messageId);
    const n = this.q.run(
      this.db.insertInto('message_reads').values({ message_id: messageId, user_id: r.id, read_at: this.deps.clock.now() }).onConflict((oc) => oc.doNothing()).compile(),
    );
    if (n > 0) this.deps.bus.publish('message.message.read', { messageId, userId: r.id });
  }

  receipts(messageId: string): Array<{ userId: string; readAt: number }> {
    if (!this.q.first(this.db.selectFrom('messages').select('id').where('id', '=', messageId).compile())) throw new NotFoundError('message', messageId);
    return this.q
      .all(this.db.selectFrom('message_reads').selectAll().where('message_id', '=', messageId).orderBy('read_at').compile())
      .map((x) => ({ userId: x.user_id, readAt: x.read_at }));
  }

  // ------------------------------------------------------------------ announcements

  announce(input: AnnounceInput, createdBy: string): Announcement {
    const a = parse(AnnounceSchema, input, 'announcement');
    const now = this.deps.clock.now();
    const id = newId('ann', this.deps.clock);
    const validFrom = a.validFrom ?? now;
    this.q.run(
      this.db
        .insertInto('announcements')
        .values({ id, title: a.title, body: a.body, priority: a.priority, audience: JSON.stringify(a.audience), valid_from: validFrom, valid_to: a.validTo, created_by: createdBy, created_at: now, withdrawn_at: null })
        .compile(),
    );
    this.deps.bus.publish('message.announcement.published', { announcementId: id, title: a.title, priority: a.priority, audience: a.audience, validFrom });
    return { id, title: a.title, body: a.body, priority: a.priority, audience: a.audience, validFrom, validTo: a.validTo, createdBy, createdAt: now, withdrawnAt: null, readAt: null };
  }

  withdraw(id: string): void {
    const n = this.q.run(this.db.updateTable('announcements').set({ withdrawn_at: this.deps.clock.now() }).where('id', '=', id).where('withdrawn_at', 'is', null).compile());
    if (n === 0) this.announcementRow(id);
  }

  private static reaches(audience: readonly Audience[], r: Reader): boolean {
    return audience.some(
      (a) =>
        a.kind === 'all' ||
        (a.kind === 'user' && a.id === r.id) ||
        (a.kind === 'department' && r.departmentIds.includes(a.id)) ||
        (a.kind === 'role' && r.roles.includes(a.id)),
    );
  }

  /** Announcements valid now for this reader, high priority first, then newest. */
  announcements(r: Reader, opts: { unreadOnly?: boolean } = {}): Announcement[] {
    const now = this.deps.clock.now();
    const rows = this.q.all(
      this.db
        .selectFrom('announcements as a')
        .leftJoin('announcement_reads as r', (j) => j.onRef('r.announcement_id', '=', 'a.id').on('r.user_id', '=', r.id))
        .selectAll('a')
        .select('r.read_at')
        .where('a.valid_from', '<=', now)
        .where((eb) => eb.or([eb('a.valid_to', 'is', null), eb('a.valid_to', '>', now)]))
        .where('a.withdrawn_at', 'is', null)
        .orderBy(sql`a.priority = 'high'`, 'desc')
        .orderBy('a.valid_from', 'desc')
        .limit(500)
        .compile(),
    );
    return rows
      .map((a) => ({
        id: a.id,
        title: a.title,
        body: a.body,
        priority: a.priority as MessagePriority,
        audience: JSON.parse(a.audience) as Audience[],
        validFrom: a.valid_from,
        validTo: a.valid_to,
        createdBy: a.created_by,
        createdAt: a.created_at,
        withdrawnAt: a.withdrawn_at,
        readAt: a.read_at,
      }))
      .filter((a) => MessageService.reaches(a.audience, r) && (!opts.unreadOnly || a.readAt === null));
  }

  readAnnouncement(id: string, r: Reader): void {
    const a = this.announcementRow(id);
    if (!MessageService.reaches(JSON.parse(a.audience) as Audience[], r)) throw new NotFoundError('announcement', id);
    const n = this.q.run(
      this.db.insertInto('announcement_reads').values({ announcement_id: id, user_id: r.id, read_at: this.deps.clock.now() }).onConflict((oc) => oc.doNothing()).compile(),
    );
    if (n > 0) this.deps.bus.publish('message.announcement.read', { announcementId: id, userId: r.id });
  }

  /** Who has read the announcement, and when. */
  announcementReceipts(id: string): Array<{ userId: string; readAt: number }> {
    this.announcementRow(id);
    return this.q
      .all(this.db.selectFrom('announcement_reads').selectAll().where('announcement_id', '=', id).orderBy('read_at').compile())
      .map((x) => ({ userId: x.user_id, readAt: x.read_at }));
  }

  private announcementRow(id: string) {
    const a = this.q.first(this.db.selectFrom('announcements').selectAll().where('id', '=', id).compile());
    if (!a) throw new NotFoundError('announcement', id);
    return a;
  }
}
