/**
 * `/messages` and `/announcements`: personal messages (待办提醒, 催办 …) and internal
 * announcements (内部公告) over REST, for the utility's portal or a mobile app (issue 8 "all of
 * the above under /api/v1"). Sending and publishing need `messages:write`; reading needs
 * `messages:read` and is always for one person, named in X-Acting-User (with -Roles and
 * -Departments, api/acting-user.ts): a key that names nobody gets 400, because an integration
 * has no inbox of its own.
 *
 *   GET  /messages                     the person's inbox, newest first (unreadOnly)
 *   POST /messages                     send a message to a user, department or role
 *   POST /messages/:id/read            mark read (read receipt)
 *   GET  /messages/:id/receipts        who read it, when
 *   GET  /announcements                announcements reaching the person, in force now
 *   POST /announcements                publish to all / users / departments / roles
 *   POST /announcements/:id/read       read receipt
 *   POST /announcements/:id/withdraw   withdraw
 *   GET  /announcements/:id/receipts   who read it, when
 */
import type { Request } from 'express';
import { z } from 'zod';
import { actingUser } from '../api/acting-user.js';
import type { ApiKeyInfo } from '../api/api-keys.js';
import { queryInt, type RouteRegistry } from '../api/registry.js';
import { ValidationError } from '../core/errors.js';
import type { AuditInput } from '../ops/audit.js';
import {
  AnnounceSchema,
  AudienceSchema,
  MessageKinds,
  MessagePriorities,
  RecipientSchema,
  SendSchema,
  type Announcement,
  type Message,
  type MessageService,
  type Reader,
} from './message-service.js';

export interface MessageRoutesAudit {
  record(input: AuditInput): Promise<unknown>;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

const MessageSchema = z.strictObject({
  id: z.string(),
  to: RecipientSchema,
  kind: z.enum(MessageKinds),
  priority: z.enum(MessagePriorities),
  title: z.string(),
  body: z.string(),
  orderId: z.string().nullable(),
  sender: z.string(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().nullable(),
  readAt: z.iso.datetime().nullable(),
});

const AnnouncementSchema = z.strictObject({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  priority: z.enum(MessagePriorities),
  audience: z.array(AudienceSchema),
  validFrom: z.iso.datetime(),
  validTo: z.iso.datetime().nullable(),
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
  withdrawnAt: z.iso.datetime().nullable(),
  readAt: z.iso.datetime().nullable(),
});

const ReceiptsSchema = z.strictObject({ items: z.array(z.strictObject({ userId: z.string(), readAt: z.iso.datetime() })) });

const messageOut = (m: Message): z.input<typeof MessageSchema> => ({ ...m, createdAt: iso(m.createdAt), expiresAt: isoOrNull(m.expiresAt), readAt: isoOrNull(m.readAt) });
const announcementOut = (a: Announcement): z.input<typeof AnnouncementSchema> => ({
  ...a,
  validFrom: iso(a.validFrom),
  validTo: isoOrNull(a.validTo),
  createdAt: iso(a.createdAt),
  withdrawnAt: isoOrNull(a.withdrawnAt),
  readAt: isoOrNull(a.readAt),
});
const receiptsOut = (list: Array<{ userId: string; readAt: number }>): z.input<typeof ReceiptsSchema> => ({ items: list.map((r) => ({ userId: r.userId, readAt: iso(r.readAt) })) });

/** The person reading: only a named one (X-Acting-User) has an inbox. */
function reader(req: Request, key: ApiKeyInfo | null): Reader {
  const who = actingUser(req, key);
  if (!who.delegated) throw new ValidationError('name the reader', [{ path: '(header) X-Acting-User', message: 'required: the person whose messages these are' }]);
  return who;
}

const IdParams = z.strictObject({ id: z.string().min(1).max(64) });
const Bool = z.enum(['true', 'false']).transform((v) => v === 'true');

export function registerMessageRoutes(registry: RouteRegistry, messages: MessageService, audit: MessageRoutesAudit): void {
  registry.route({
    method: 'get',
    path: '/messages',
    summary: "A person's inbox (X-Acting-User), newest first; their departments' and roles' messages included",
    tags: ['messages'],
    scope: 'messages:read',
    query: z.strictObject({ unreadOnly: Bool.optional(), limit: queryInt(1, 500).optional() }),
    errors: ['VALIDATION', 'FORBIDDEN'],
    response: { description: 'Messages and the unread count', schema: z.strictObject({ items: z.array(MessageSchema), unread: z.number().int() }) },
    handler: ({ query, req, key }) => {
      const r = reader(req, key);
      return {
        items: messages.inbox(r, { ...(query.unreadOnly !== undefined && { unreadOnly: query.unreadOnly }), ...(query.limit !== undefined && { limit: query.limit }) }).map(messageOut),
        unread: messages.unreadCount(r),
      };
    },
  });

  registry.route({
    method: 'post',
    path: '/messages',
    summary: 'Send a message to a user, a department or a role',
    tags: ['messages'],
    scope: 'messages:write',
    body: SendSchema,
    errors: ['VALIDATION', 'FORBIDDEN'],
    response: { status: 201, description: 'The message', schema: MessageSchema },
    handler: async ({ body, req, key, actor }) => {
      const who = actingUser(req, key);
      const m = messages.send(body, who.id);
      await audit.record({ actor: actor.actor, ip: actor.ip, action: 'message.message.sent', target: m.id, after: { to: m.to, kind: m.kind, actingAs: who.id } });
      return messageOut(m);
    },
  });

  registry.route({
    method: 'post',
    path: '/messages/:id/read',
    summary: 'Mark a message read for the person (read receipt)',
    tags: ['messages'],
    scope: 'messages:read',
    params: IdParams,
    errors: ['NOT_FOUND', 'VALIDATION', 'FORBIDDEN'],
    response: { status: 204, description: 'Marked' },
    handler: ({ params, req, key }) => {
      messages.markRead(params.id, reader(req, key));
    },
  });

  registry.route({
    method: 'get',
    path: '/messages/:id/receipts',
    summary: 'Who has read a message, and when',
    tags: ['messages'],
    scope: 'messages:write',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'Read receipts', schema: ReceiptsSchema },
    handler: ({ params }) => receiptsOut(messages.receipts(params.id)),
  });

  registry.route({
    method: 'get',
    path: '/announcements',
    summary: 'Announcements (内部公告) in force that reach the person (X-Acting-User), high priority first',
    tags: ['messages'],
    scope: 'messages:read',
    query: z.strictObject({ unreadOnly: Bool.optional() }),
    errors: ['VALIDATION', 'FORBIDDEN'],
    response: { description: 'Announcements', schema: z.strictObject({ items: z.array(AnnouncementSchema) }) },
    handler: ({ query, req, key }) => ({
      items: messages.announcements(reader(req, key), query.unreadOnly !== undefined ? { unreadOnly: query.unreadOnly } : {}).map(announcementOut),
    }),
  });

  registry.route({
    method: 'post',
    path: '/announcements',
    summary: 'Publish an internal announcement to everyone, or to users, departments and roles',
    tags: ['messages'],
    scope: 'messages:write',
    body: AnnounceSchema,
    errors: ['VALIDATION', 'FORBIDDEN'],
    response: { status: 201, description: 'The announcement', schema: AnnouncementSchema },
    handler: async ({ body, req, key, actor }) => {
      const who = actingUser(req, key);
      const a = messages.announce(body, who.id);
      await audit.record({ actor: actor.actor, ip: actor.ip, action: 'message.announcement.published', target: a.id, after: { title: a.title, audience: a.audience, actingAs: who.id } });
      return announcementOut(a);
    },
  });

  registry.route({
    method: 'post',
    path: '/announcements/:id/read',
    summary: 'Mark an announcement read for the person (read receipt)',
    tags: ['messages'],
    scope: 'messages:read',
    params: IdParams,
    errors: ['NOT_FOUND', 'VALIDATION', 'FORBIDDEN'],
    response: { status: 204, description: 'Marked' },
    handler: ({ params, req, key }) => {
      messages.readAnnouncement(params.id, reader(req, key));
    },
  });

  registry.route({
    method: 'post',
    path: '/announcements/:id/withdraw',
    summary: 'Withdraw an announcement',
    tags: ['messages'],
    scope: 'messages:write',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { status: 204, description: 'Withdrawn' },
    handler: async ({ params, actor }) => {
      messages.withdraw(params.id);
      await audit.record({ actor: actor.actor, ip: actor.ip, action: 'message.announcement.withdrawn', target: params.id });
    },
  });

  registry.route({
    method: 'get',
    path: '/announcements/:id/receipts',
    summary: 'Who has read an announcement, and when',
    tags: ['messages'],
    scope: 'messages:write',
    params: IdParams,
    errors: ['NOT_FOUND'],
    response: { description: 'Read receipts', schema: ReceiptsSchema },
    handler: ({ params }) => receiptsOut(messages.announcementReceipts(params.id)),
  });
}
