/**
 * Voicemail → work order (issue 7 "voicemail (留言: record a message that becomes a work
 * order)"): subscribes to `ivr.voicemail.recorded` (ivr/voicemail-box.ts) and registers a 工单
 * of source 'voicemail' with the call and the recording linked, the caller's number as contact
 * and, when the customers module knows the number, the customer. The IVR does not import work
 * orders and work orders do not import telephony (DESIGN.md "Dependency direction"); this
 * module, wired by the daemon, is where the two meet.
 *
 * The order's type is the voicemail node's `orderType` when such a type exists; otherwise the
 * `voicemail` type (留言), which is created on first use with one dispatcher step, so a message
 * never waits on configuration. A failed registration is logged and written on the message
 * (`work_order_error`); the message itself stays in the box.
 */
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { VoicemailRecorded } from '../ivr/events.js';
import type { Actor, WorkOrder } from '../workorders/model.js';
import type { OrderType } from '../workorders/workorder-service.js';
import type { CreateOrderInput, TypeInput } from '../workorders/schemas.js';

export const VOICEMAIL_TYPE: TypeInput = {
  id: 'voicemail',
  name: '留言',
  kind: 'consultation',
  workflow: { steps: [{ id: 'callback', name: '回电处理', mode: 'serial', assign: { by: 'dispatcher' } }], directClose: true },
};

const IVR_ACTOR: Actor = { id: 'system:ivr', roles: [], departmentIds: [], channel: 'ivr' };

/** What this needs of the work-order service (WorkOrderService has these). */
export interface VoicemailOrderService {
  listTypes(): OrderType[];
  createType(input: TypeInput): OrderType;
  create(input: CreateOrderInput, actor: Actor): WorkOrder;
}

/** The message's side (VoicemailBox). */
export interface VoicemailLinks {
  linkWorkOrder(messageId: string, orderId: string): Promise<void>;
  workOrderFailed(messageId: string, error: string): Promise<void>;
}

export interface CallerDirectory {
  lookupByPhone(raw: string): { matches: ReadonlyArray<{ customerId: string; name: string }> };
}

/** Subscribe; returns the unsubscribe function. */
export function listenVoicemailOrders(deps: {
  bus: Pick<EventBus, 'on'>;
  orders: VoicemailOrderService;
  box: VoicemailLinks;
  customers?: CallerDirectory;
  log: Logger;
}): () => void {
  const log = deps.log.child({ mod: 'voicemail-orders' });
  return deps.bus.on('ivr.voicemail.recorded', (e) => {
    const m = e.payload;
    try {
      const order = deps.orders.create(orderInput(m, typeFor(deps.orders, m.orderType), deps.customers), IVR_ACTOR);
      void deps.box.linkWorkOrder(m.messageId, order.id).catch((err: unknown) => log.error({ err, messageId: m.messageId }, 'voicemail link failed'));
      log.info({ messageId: m.messageId, orderId: order.id, number: order.number }, 'voicemail work order');
    } catch (err) {
      log.error({ err, messageId: m.messageId }, 'voicemail work order failed');
      void deps.box.workOrderFailed(m.messageId, (err as Error).message ?? String(err)).catch(() => undefined);
    }
  });
}

function typeFor(orders: VoicemailOrderService, wanted: string): string {
  const types = orders.listTypes();
  if (types.some((t) => t.id === wanted && t.active)) return wanted;
  if (!types.some((t) => t.id === VOICEMAIL_TYPE.id)) orders.createType(VOICEMAIL_TYPE);
  return VOICEMAIL_TYPE.id;
}

function orderInput(m: VoicemailRecorded, typeId: string, customers?: CallerDirectory): CreateOrderInput {
  const customer = m.caller ? (customers?.lookupByPhone(m.caller).matches[0] ?? null) : null;
  const seconds = Math.round(m.durationMs / 1000);
  const lines = [
    `来电号码 Caller: ${m.caller || '(unknown)'}`,
    ...(m.accountNo ? [`户号 Account: ${m.accountNo}`] : []),
    `留言时长 Length: ${seconds} s (${m.endedBy})`,
    `录音 Recording: ${m.recording}`,
    ...(m.orderType !== typeId ? [`留言类别 Box: ${m.orderType}`] : []),
  ];
  return {
    typeId,
    source: 'voicemail',
    title: `留言 ${m.caller || '未知号码'}${m.accountNo ? ` 户号${m.accountNo}` : ''}`,
    description: lines.join('\n'),
    ...(m.caller ? { contactPhone: m.caller.slice(0, 40) } : {}),
    ...(customer ? { customerId: customer.customerId, contactName: customer.name.slice(0, 100) } : {}),
    callIds: [m.callId],
    recordingIds: [m.recordingId ?? m.recording],
  };
}
