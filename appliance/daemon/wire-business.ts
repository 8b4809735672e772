/**
 * Wiring of the business core (DESIGN.md: workorders, knowledge, customers never import
 * telephony): work orders with their SLA checker, callback visits (回访), messages and the
 * notifier, customers and the knowledge base, each with its REST routes on the API registry.
 * Called by main.ts; returns the services other parts (control panel, IVR, ACD) use and the
 * background services that start and stop with the daemon.
 */
import type { RouteRegistry } from '../api/registry.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import { registerCustomerRoutes } from '../customers/customer-routes.js';
import { registerCustomerImportRoutes } from '../customers/customer-import-routes.js';
import { registerOrderImportRoutes } from '../workorders/order-import-routes.js';
import { CustomerService } from '../customers/customer-service.js';
import { registerKnowledgeRoutes } from '../knowledge/knowledge-routes.js';
import { KnowledgeService } from '../knowledge/knowledge-service.js';
import { MessageService } from '../messages/message-service.js';
import type { AuditLog } from '../ops/audit.js';
import type { Store } from '../store/database.js';
import { registerWorkOrderAdminRoutes } from '../workorders/admin-routes.js';
import { startNotifier } from '../workorders/notifier.js';
import { VisitService } from '../workorders/visit-service.js';
import { registerWorkOrderRoutes } from '../workorders/workorder-routes.js';
import { registerVisitRoutes } from '../workorders/visit-routes.js';
import { registerMessageRoutes } from '../messages/message-routes.js';
import { WorkOrderService } from '../workorders/workorder-service.js';
import { wireBusinessExtras, type BusinessExtras, type BusinessIntegrations } from './wire-business-extras.js';
import { wireAppointments, type AppointmentServices } from './wire-business-appointments.js';

/** China Standard Time: order numbers and business calendars are local. */
const CHINA_UTC_OFFSET_MINUTES = 480;

export interface BackgroundService {
  name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface BusinessServices {
  workOrders: WorkOrderService;
  visits: VisitService;
  messages: MessageService;
  customers: CustomerService;
  knowledge: KnowledgeService;
  /** Customer history, article sending, billing sync (wire-business-extras.ts). */
  extras: BusinessExtras;
  /** Appointments (预约服务): book, IVR port, reminders (wire-business-appointments.ts). */
  appointments: AppointmentServices;
  background: BackgroundService[];
}

export function wireBusiness(deps: {
  store: Store;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  registry: RouteRegistry;
  audit: AuditLog;
  /** Billing system, SMS gateway and mail relay (config.integrations). */
  integrations?: Partial<BusinessIntegrations>;
}): BusinessServices {
  const { store, clock, bus, log, registry, audit } = deps;
  const workOrders = new WorkOrderService({
    store,
    clock,
    bus,
    log: log.child({ mod: 'workorders' }),
    utcOffsetMinutes: CHINA_UTC_OFFSET_MINUTES,
  });
  const visits = new VisitService({ store, clock, bus, log: log.child({ mod: 'visits' }), orders: workOrders });
  const messages = new MessageService({ store, clock, bus, log: log.child({ mod: 'messages' }) });
  const customers = new CustomerService({ store, clock, bus, log: log.child({ mod: 'customers' }) });
  const knowledge = new KnowledgeService({ store, clock, bus, log: log.child({ mod: 'knowledge' }) });

  registerWorkOrderRoutes(registry, workOrders, audit);
  registerWorkOrderAdminRoutes(registry, workOrders, audit, visits);
  registerCustomerRoutes(registry, customers, audit);
  registerCustomerImportRoutes(registry, { customers, clock, log: log.child({ mod: 'customer-import' }), bus }, audit);
  registerOrderImportRoutes(registry, workOrders, audit);
  registerKnowledgeRoutes(registry, knowledge, audit);
  registerVisitRoutes(registry, visits, audit);
  registerMessageRoutes(registry, messages, audit);
  const extras = wireBusinessExtras({ store, clock, bus, log, registry, audit, customers, knowledge, ...(deps.integrations && { integrations: deps.integrations }) });
  const appointments = wireAppointments({ store, clock, bus, log, registry, audit, workOrders, messages, senders: extras.senders });

  let stopNotifier: (() => void) | null = null;
  const background: BackgroundService[] = [
    { name: 'workorder-sla', start: () => workOrders.sla.start(), stop: () => workOrders.sla.stop() },
    { name: 'callback-visits', start: () => visits.start(), stop: () => visits.stop() },
    {
      name: 'workorder-notifier',
      start: () => {
        stopNotifier = startNotifier({ bus, orders: workOrders, sink: messages, log: log.child({ mod: 'notifier' }) });
      },
      stop: () => stopNotifier?.(),
    },
    ...extras.background,
    ...appointments.background,
  ];
  return { workOrders, visits, messages, customers, knowledge, extras, appointments, background };
}
