import test from 'ava';
import { startApiHarness } from '../api/testing.js';
import { silentLogger } from '../core/log.js';
import { EmailArticleSender } from '../integrations/senders/email-sender.js';
import { FaxOutbox } from '../integrations/senders/fax-outbox.js';
import { SmsGatewaySender } from '../integrations/senders/sms-gateway.js';
import { startFakeSmtp, type FakeSmtp } from '../integrations/senders/testing/smtp-server.js';
import { SmsGatewaySimulator } from '../integrations/senders/testing/sms-gateway-simulator.js';
import { KnowledgeService } from './knowledge-service.js';
import { ArticleDeliveries, type ArticleSender } from './sending.js';
import { registerArticleSendingRoutes } from './sending-routes.js';
import { articles, editor, publishAll } from './testing/fixtures.js';

interface Out {
  id: string;
  status: string;
  to: string;
  channel: string;
  parts: number | null;
  providerRef: string | null;
  error: unknown;
  articleVersion: number;
}

async function rig(t: { teardown(fn: () => unknown): void }, smtpOpts: Parameters<typeof startFakeSmtp>[0] = { user: 'hotline', password: 's3cret' }) {
  const h = await startApiHarness();
  t.teardown(() => h.close());
  const log = silentLogger();
  const kb = new KnowledgeService({ store: h.store, clock: h.clock, bus: h.bus, log });
  const ids = publishAll(kb);
  const sms = new SmsGatewaySimulator();
  await sms.start();
  t.teardown(() => sms.stop());
  const smtp: FakeSmtp = await startFakeSmtp(smtpOpts);
  t.teardown(() => smtp.close());
  const fax = new FaxOutbox({ store: h.store, clock: h.clock });
  const senders: ArticleSender[] = [
    new SmsGatewaySender({ baseUrl: sms.url, token: sms.token, signature: '国网郑州供电', maxSegments: 3, clock: h.clock }),
    new EmailArticleSender({
      smtp: { host: '127.0.0.1', port: smtp.port, security: 'none', username: 'hotline', password: 's3cret', allowPlainAuth: true, clock: h.clock, timeoutMs: 5_000 },
      from: 'noreply@95598.example.cn',
      fromName: '95598供电服务热线',
      footer: '本邮件由系统发送，请勿回复。',
      clock: h.clock,
    }),
    fax,
  ];
  const deliveries = new ArticleDeliveries({ store: h.store, clock: h.clock, bus: h.bus, log, knowledge: kb, senders });
  registerArticleSendingRoutes(h.api.registry, deliveries, h.api.audit);
  const events: string[] = [];
  h.bus.onAny((e) => events.push(e.type));
  return { h, kb, ids, sms, smtp, fax, deliveries, events };
}

const send = async (h: Awaited<ReturnType<typeof rig>>['h'], id: string, body: unknown, key?: string) => {
  const res = await h.call('POST', `/knowledge/articles/${id}/send`, { body, ...(key !== undefined && { key }) });
  return { status: res.status, body: (await res.json()) as Out };
};

test('SMS through the gateway: signature, 67-unit UCS-2 segments, capped length, delivery record and audit', async (t) => {
  const { h, kb, ids, sms, events } = await rig(t);
  const long = kb.create({ title: articles.tiered.title, body: articles.tiered.body.repeat(4), visibility: 'public' }, editor);
  kb.publish(long.id, long.version, editor);
  const short = await send(h, ids.payment, { channel: 'sms', to: '13903710001' });
  t.like(short.body, { status: 'sent', parts: 2 });
  t.false(sms.messages[0]!.text.endsWith('…'), 'a short article is sent whole');
  t.is(sms.messages[0]!.text, `【国网郑州供电】${articles.payment.title}：${articles.payment.body}`);
  sms.messages.length = 0;
  const r = await send(h, long.id, { channel: 'sms', to: '+86 139-0371-0001', customerId: 'cus_1' });
  t.is(r.status, 201);
  t.like(r.body, { status: 'sent', channel: 'sms', to: '13903710001', articleVersion: 1 });
  t.is(sms.messages.length, 1);
  const m = sms.messages[0]!;
  t.is(m.to, '13903710001');
  t.is(m.clientRef, r.body.id);
  t.true(m.text.startsWith(`【国网郑州供电】${articles.tiered.title}：居民生活用电实行阶梯电价`));
  t.is(m.encoding, 'ucs2');
  t.is(m.segments.length, 3, 'the article is longer than three segments: cut to three');
  t.true(m.segments.every((s) => s.length <= 67));
  t.is(m.segments.join(''), m.text);
  t.true(m.text.endsWith('…'));
  t.is(r.body.parts, m.segments.length);
  t.is(r.body.providerRef, m.id);
  t.true(events.includes('knowledge.article.sent'));
  const audit = h.store.sqlite.prepare("SELECT target, after FROM audit_log WHERE action = 'knowledge.article.sent'").all() as { target: string; after: string }[];
  t.is(audit.length, 2);
  t.like(JSON.parse(audit[1]!.after), { deliveryId: r.body.id, channel: 'sms', to: '13903710001', status: 'sent' });

  sms.failRequests(1);
  const down = await send(h, long.id, { channel: 'sms', to: '13903710001' });
  t.is(down.status, 201);
  t.like(down.body, { status: 'failed' });
  t.regex(String(down.body.error), /UNAVAILABLE/);
  t.true(events.includes('knowledge.delivery.failed'));
  const list = (await (await h.call('GET', `/knowledge/articles/${long.id}/deliveries`)).json()) as { items: Out[]; channels: string[] };
  t.deepEqual(list.items.map((d) => d.status), ['failed', 'sent']);
  t.deepEqual(list.channels, ['sms', 'email', 'fax']);
});

test('e-mail through SMTP: AUTH PLAIN, RFC 2047 subject, base64 UTF-8 body; a refused recipient is a failed delivery', async (t) => {
  const { h, ids, smtp } = await rig(t, { user: 'hotline', password: 's3cret', rejectDomain: 'blocked.example' });
  const r = await send(h, ids.payment, { channel: 'email', to: 'li.xiuying@example.com' });
  t.is(r.status, 201);
  t.like(r.body, { status: 'sent', to: 'li.xiuying@example.com' });
  t.regex(String(r.body.providerRef), /queued as Q1/);
  t.is(smtp.mails.length, 1);
  const mail = smtp.mails[0]!;
  t.is(mail.user, 'hotline');
  t.is(mail.from, 'noreply@95598.example.cn');
  t.deepEqual(mail.to, ['li.xiuying@example.com']);
  const [head, body] = mail.data.split('\r\n\r\n');
  const subject = /^Subject: (.*(?:\r\n .*)*)$/m.exec(head!)![1]!;
  const decoded = subject.split('\r\n ').map((w) => Buffer.from(/=\?UTF-8\?B\?(.*)\?=/.exec(w)![1]!, 'base64').toString('utf8')).join('');
  t.is(decoded, articles.payment.title);
  t.regex(head!, /^Content-Type: text\/plain; charset=UTF-8$/m);
  t.regex(head!, new RegExp(`^Message-ID: <${r.body.id}@95598.example.cn>$`, 'm'));
  const text = Buffer.from(body!.replace(/\r\n/g, ''), 'base64').toString('utf8');
  t.true(text.includes(articles.payment.body));
  t.true(text.includes('请勿回复'));

  const refused = await send(h, ids.payment, { channel: 'email', to: 'x@blocked.example' });
  t.like(refused.body, { status: 'failed' });
  t.regex(String(refused.body.error), /550/);
  const header = await send(h, ids.payment, { channel: 'email', to: 'a@b.cn\r\nBcc: all@evil.example' });
  t.is(header.status, 400, 'no header injection through the recipient');
});

test('fax: a pending job in the outbox, the delivery pending until the fax side settles it', async (t) => {
  const { h, ids, fax, deliveries } = await rig(t);
  const r = await send(h, ids.meter, { channel: 'fax', to: '0371-6555 1234' });
  t.is(r.status, 201);
  t.like(r.body, { status: 'pending', to: '037165551234' });
  const jobs = fax.pending();
  t.is(jobs.length, 1);
  t.like(jobs[0], { id: r.body.providerRef!, recipient: '037165551234', status: 'pending', source: 'kb-delivery', sourceRef: r.body.id, subject: articles.meter.title });
  t.true(jobs[0]!.document.includes(articles.meter.body));
  t.like(deliveries.settle(r.body.id, { status: 'sent' }), { status: 'sent' });
});

test('refusals: internal or unpublished articles, bad recipients, missing scopes, unknown article', async (t) => {
  const { h, kb, ids, sms, smtp } = await rig(t);
  const internal = await send(h, ids.outage, { channel: 'sms', to: '13903710001' });
  t.is(internal.status, 403);
  const draft = kb.create({ title: '草稿文章', body: '未发布', visibility: 'public' }, editor);
  t.is((await send(h, draft.id, { channel: 'sms', to: '13903710001' })).status, 409);
  const bad = await send(h, ids.tiered, { channel: 'sms', to: '0371-6555 1234', colour: 'red' });
  t.is(bad.status, 400);
  t.deepEqual(((bad.body.error as { fields: { path: string }[] }).fields ?? []).map((f) => f.path), ['colour']);
  const landline = await send(h, ids.tiered, { channel: 'sms', to: '0371-6555 1234' });
  t.is(landline.status, 400);
  t.deepEqual((landline.body.error as { fields: { path: string }[] }).fields.map((f) => f.path), ['to']);
  t.is((await send(h, ids.tiered, { channel: 'telegram', to: 'x' })).status, 400);
  t.is((await send(h, 'kb_nope', { channel: 'sms', to: '13903710001' })).status, 404);

  const sendOnly = await h.keyWith(['knowledge:send']);
  t.is((await send(h, ids.tiered, { channel: 'sms', to: '13903710001' }, sendOnly.secret)).status, 403);
  const readOnly = await h.keyWith(['knowledge:read']);
  t.is((await send(h, ids.tiered, { channel: 'sms', to: '13903710001' }, readOnly.secret)).status, 403);
  const both = await h.keyWith(['knowledge:read', 'knowledge:send']);
  t.is((await send(h, ids.tiered, { channel: 'sms', to: '13903710001' }, both.secret)).status, 201);
  t.is(sms.messages.length, 1, 'only the permitted send went out');
  t.is(smtp.mails.length, 0);
  t.is(h.store.sqlite.prepare('SELECT count(*) FROM kb_deliveries').pluck().get(), 1, 'refused requests leave no delivery rows');
});
