/**
 * The business additions wired beside wire-business.ts: a customer's history (customers/
 * history.ts) filled from the work-order store and from telephony's CDRs and IVR survey scores
 * (integrations/customer-history-sources.ts, so customers never import telephony); knowledge
 * article sending with its senders (SMS gateway and SMTP when configured, the fax outbox
 * always); and the scheduled billing sync (customers/billing-sync.ts) on the Clock when a billing
 * system is configured. Each with its REST routes on the API registry.
 */
import type { RouteRegistry } from '../api/registry.js';
import type { Clock } from '../core/clock.js';
import type { Config } from '../core/config.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import { HttpBillingAdapter } from '../customers/billing-port.js';
import { BillingSync } from '../customers/billing-sync.js';
import type { CustomerService } from '../customers/customer-service.js';
import { CustomerHistory } from '../customers/history.js';
import { registerCustomerHistoryRoutes } from '../customers/history-routes.js';
import { callHistorySource, surveyHistorySource } from '../integrations/customer-history-sources.js';
import { EmailArticleSender } from '../integrations/senders/email-sender.js';
import { FaxOutbox } from '../integrations/senders/fax-outbox.js';
import { SmsGatewaySender } from '../integrations/senders/sms-gateway.js';
import type { KnowledgeService } from '../knowledge/knowledge-service.js';
import { ArticleDeliveries, type ArticleSender } from '../knowledge/sending.js';
import { registerArticleSendingRoutes } from '../knowledge/sending-routes.js';
import type { AuditLog } from '../ops/audit.js';
import type { Store } from '../store/database.js';
import { visitHistorySource, workOrderHistorySource } from '../workorders/customer-history-source.js';
import type { BackgroundService } from './wire-business.js';

export type BusinessIntegrations = Pick<Config['integrations'], 'billing' | 'billingSyncMinutes' | 'sms' | 'smtp'>;

export interface BusinessExtras {
  history: CustomerHistory;
  deliveries: ArticleDeliveries;
  faxOutbox: FaxOutbox;
  /** Every configured article sender (fax outbox always; SMS and e-mail when configured). */
  senders: readonly ArticleSender[];
  billingSync: BillingSync | null;
  background: BackgroundService[];
}

export function wireBusinessExtras(d: {
  store: Store;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  registry: RouteRegistry;
  audit: AuditLog;
  customers: CustomerService;
  knowledge: KnowledgeService;
  integrations?: Partial<BusinessIntegrations>;
}): BusinessExtras {
  const { store, clock, bus, log, registry, audit, customers, knowledge } = d;
  const cfg = d.integrations ?? {};

  const history = new CustomerHistory({
    customer: (id) => customers.get(id),
    parsePhone: (s) => customers.parsePhone(s),
    sources: [callHistorySource(store), workOrderHistorySource(store), surveyHistorySource(store), visitHistorySource(store)],
  });
  registerCustomerHistoryRoutes(registry, history);

  const faxOutbox = new FaxOutbox({ store, clock });
  const senders: ArticleSender[] = [faxOutbox];
  if (cfg.sms) {
    const s = cfg.sms;
    senders.push(new SmsGatewaySender({ baseUrl: s.baseUrl, signature: s.signature, maxSegments: s.maxSegments, clock, ...(s.token && { token: s.token }), ...(s.timeoutMs && { timeoutMs: s.timeoutMs }) }));
  }
  if (cfg.smtp) {
    const m = cfg.smtp;
    senders.push(
      new EmailArticleSender({
        smtp: { host: m.host, port: m.port, security: m.security, clock, ...(m.username !== undefined && { username: m.username, password: m.password ?? '' }) },
        from: m.from,
        clock,
        ...(m.fromName && { fromName: m.fromName }),
        ...(m.footer && { footer: m.footer }),
      }),
    );
  }
  const deliveries = new ArticleDeliveries({ store, clock, bus, log: log.child({ mod: 'kb-send' }), knowledge, senders });
  registerArticleSendingRoutes(registry, deliveries, audit);

  const background: BackgroundService[] = [];
  let billingSync: BillingSync | null = null;
  const minutes = cfg.billingSyncMinutes ?? 15;
  if (cfg.billing && minutes > 0) {
    const b = cfg.billing;
    const port = new HttpBillingAdapter({ baseUrl: b.baseUrl, clock, ...(b.token && { token: b.token }), ...(b.timeoutMs && { timeoutMs: b.timeoutMs }) });
    const sync = new BillingSync({ port, customers, clock, bus, log: log.child({ mod: 'billing-sync' }), intervalMs: minutes * 60_000 });
    billingSync = sync;
    background.push({ name: 'billing-sync', start: () => sync.start(), stop: () => sync.stop() });
  }
  return { history, deliveries, faxOutbox, senders, billingSync, background };
}
