/**
 * The voicemail box (issue 7 "voicemail (留言: record a message that becomes a work order)"):
 * the IVR's VoicemailPort over a MessageRecorder (calls/message-recorder.ts records the
 * caller's leg on the media engine) and the `voicemail_messages` table
 * (store/migrations/0021-ivr-voicemail.ts).
 *
 *   record  → the recorder (file on disk + its `recordings` ledger row);
 *   submit  → one voicemail_messages row (caller, account, recording, how it ended, the
 *             variables), then `ivr.voicemail.recorded` on the bus.
 *
 * The IVR never imports work orders (DESIGN.md "Dependency direction"): a subscriber
 * (integrations/voicemail-orders.ts) makes the 工单 of source 'voicemail' from the event and
 * links it back with `linkWorkOrder` (or `workOrderFailed`). The bus delivers synchronously,
 * so `submit` already knows the order id when the subscriber could create it; a message whose
 * order failed stays in the box with the error, for staff to pick up — never lost.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import { newId } from '../core/ids.js';
import type { Database } from '../store/schema.js';
import type { MessageEnd, MessageRecorder, RecordedMessage, Variables, VoicemailPort } from './ports.js';
import type { Channel } from '../channel/channel.js';
import './events.js';

export interface VoicemailMessage {
  id: string;
  callId: string;
  caller: string;
  accountNo: string | null;
  orderType: string;
  recording: string;
  recordingId: string | null;
  durationMs: number;
  endedBy: MessageEnd;
  vars: Variables;
  createdAt: number;
  workOrderId: string | null;
  workOrderError: string | null;
}

/** Variables a flow may have set with the caller's account (户号), first match wins. */
const ACCOUNT_VARS = ['account', 'account_no', 'accountNo'] as const;

export class VoicemailBox implements VoicemailPort {
  /** Orders linked while `submit` was publishing (the synchronous subscriber). */
  private readonly linked = new Map<string, string>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: { db: Kysely<Database>; clock: Clock; bus: Pick<EventBus, 'publish'>; recorder: MessageRecorder }) {}

  record(req: { callId: string; channel: Channel; maxMs: number; signal: AbortSignal }): Promise<RecordedMessage> {
    return this.deps.recorder.record({ ...req, endKeys: '#' });
  }

  async submit(req: {
    callId: string;
    orderType: string;
    caller: string;
    recording: string;
    recordingId?: string | null;
    durationMs: number;
    endedBy?: MessageEnd;
    vars: Readonly<Variables>;
  }): Promise<{ messageId: string; orderId: string | null }> {
    const id = newId('vm', this.deps.clock);
    const accountNo = ACCOUNT_VARS.map((k) => req.vars[k]).find((v) => v !== undefined && v !== '') ?? null;
    const endedBy = req.endedBy ?? 'hangup';
    const durationMs = Math.max(0, Math.round(req.durationMs));
    await this.deps.db
      .insertInto('voicemail_messages')
      .values({
        id,
        call_id: req.callId,
        caller: req.caller,
        account_no: accountNo,
        order_type: req.orderType,
        recording_path: req.recording,
        recording_id: req.recordingId ?? null,
        duration_ms: durationMs,
        ended_by: endedBy,
        vars: JSON.stringify(req.vars),
        created_at: this.deps.clock.now(),
      })
      .execute();
    this.deps.bus.publish('ivr.voicemail.recorded', {
      messageId: id,
      callId: req.callId,
      caller: req.caller,
      accountNo,
      orderType: req.orderType,
      recording: req.recording,
      recordingId: req.recordingId ?? null,
      durationMs,
      endedBy,
      vars: { ...req.vars },
    });
    const orderId = this.linked.get(id) ?? null;
    this.linked.delete(id);
    return { messageId: id, orderId };
  }

  /** The subscriber made the message's work order. */
  linkWorkOrder(messageId: string, orderId: string): Promise<void> {
    this.linked.set(messageId, orderId);
    return this.track(this.deps.db.updateTable('voicemail_messages').set({ work_order_id: orderId, work_order_error: null }).where('id', '=', messageId).execute());
  }

  /** The subscriber could not make the order: the message stays, with why. */
  workOrderFailed(messageId: string, error: string): Promise<void> {
    return this.track(this.deps.db.updateTable('voicemail_messages').set({ work_order_error: error.slice(0, 500) }).where('id', '=', messageId).execute());
  }

  async get(id: string): Promise<VoicemailMessage | null> {
    const r = await this.deps.db.selectFrom('voicemail_messages').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toMessage(r) : null;
  }

  /** Newest first; `withoutOrder`: the messages whose work order is missing. */
  async list(o: { limit?: number; withoutOrder?: boolean } = {}): Promise<VoicemailMessage[]> {
    let q = this.deps.db.selectFrom('voicemail_messages').selectAll();
    if (o.withoutOrder) q = q.where('work_order_id', 'is', null);
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(o.limit ?? 100).execute();
    return rows.map(toMessage);
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  private track<T>(p: Promise<T>): Promise<void> {
    const done = p.then(() => undefined);
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done)).catch(() => undefined);
    return done;
  }
}

function toMessage(r: Database['voicemail_messages']): VoicemailMessage {
  return {
    id: r.id,
    callId: r.call_id,
    caller: r.caller,
    accountNo: r.account_no,
    orderType: r.order_type,
    recording: r.recording_path,
    recordingId: r.recording_id,
    durationMs: r.duration_ms,
    endedBy: r.ended_by as MessageEnd,
    vars: JSON.parse(r.vars) as Variables,
    createdAt: r.created_at,
    workOrderId: r.work_order_id,
    workOrderError: r.work_order_error,
  };
}
