/**
 * A panel with the live pages wired to real domain services on the harness's store, clock and
 * bus: the ACD (appliance/acd) with its test ports (agents' phones that ring until the test
 * answers), the work-order service with a small organisation (departments d1/d2, one repair
 * type whose form asks for the meter number), an in-memory CustomerLookup, and a directory
 * of two queues (q1 in d1, q2 in d2) and three agents (a1, a2 in d1; b1 in d2).
 * `callIn` plays the IVR and the caller: it publishes `ivr.flow.completed` with the inputs,
 * then enqueues the caller, so an available agent gets the offer (and the screen pop).
 * `withIvr` adds the IVR flow editor (/ivr) on a real FlowStore and the telephony pages
 * (extensions, inbound routes, outbound read-only; testing/telephony-rig.ts) and an error log
 * with two records (the audit page's export), so every panel route exists
 * (the authorisation matrix and the payload tests enumerate them); `withCallControl` a fake
 * CallControl recording what the desk's buttons asked for (`callActions`).
 */
import { Acd } from '../../appliance/acd/acd.js';
import { FakeAgentDialer, FakeBridger, queueConfig } from '../../appliance/acd/testing/acd-harness.js';
import { MemoryAcdStore } from '../../appliance/acd/testing/memory-acd-store.js';
import { FakeChannel } from '../../appliance/channel/testing/fake-channel.js';
import '../../appliance/ivr/events.js';
import { silentLogger } from '../../appliance/core/log.js';
import { WorkOrderService } from '../../appliance/workorders/workorder-service.js';
import { DEFAULT_FLOW_NEEDS, DEFAULT_PROMPTS_ZH } from '../../appliance/ivr/flows/index.js';
import { FlowStore } from '../../appliance/ivr/flow-store.js';
import { FakeCalendar, validationCatalogue } from '../../appliance/ivr/testing/fakes.js';
import { staticDirectory, type CallControl, type CustomerCard } from '../live/ports.js';
import { startPanel, type Harness } from './panel-harness.js';
import { telephonyDeps } from './telephony-rig.js';
import { ErrorLog, teedLogger } from '../../appliance/ops/error-log.js';

export interface LiveRig {
  h: Harness;
  acd: Acd;
  dialer: FakeAgentDialer;
  workOrders: WorkOrderService;
  customers: Map<string, CustomerCard[]>;
  /** What the desk's call-control buttons asked for (a fake CallControl that always succeeds). */
  callActions: Array<Parameters<CallControl['act']>[0]>;
  callIn(callId: string, number: string, opts?: { queueId?: string; vars?: Record<string, string>; path?: string[] }): FakeChannel;
  close(): Promise<void>;
}

export async function startLiveRig(opts: { withWorkOrders?: boolean; withIvr?: boolean; withCallControl?: boolean } = {}): Promise<LiveRig> {
  let acd!: Acd;
  let dialer!: FakeAgentDialer;
  let workOrders!: WorkOrderService;
  const customers = new Map<string, CustomerCard[]>();
  const callActions: LiveRig['callActions'] = [];
  const callControl: CallControl = {
    act: async (req) => {
      callActions.push(req);
      return { ok: true };
    },
  };
  const h = await startPanel({
    live: ({ store, clock, bus }) => {
      const log = silentLogger();
      dialer = new FakeAgentDialer(clock);
      acd = new Acd({ clock, bus, log, store: new MemoryAcdStore(), dialer, bridger: new FakeBridger() });
      acd.upsertQueue({ ...queueConfig('q1'), name: '故障报修' });
      acd.upsertQueue({ ...queueConfig('q2'), name: '营业咨询' });
      for (const [id, q] of [['a1', 'q1'], ['a2', 'q1'], ['b1', 'q2']] as const) acd.upsertAgent({ id, name: id.toUpperCase(), skills: {}, memberships: [{ queueId: q, penalty: 0 }] });
      workOrders = new WorkOrderService({ store, clock, bus, log });
      workOrders.createDepartment({ id: 'd1', code: '01', name: '一班' });
      workOrders.createDepartment({ id: 'd2', code: '02', name: '二班' });
      workOrders.createType({
        id: 'repair',
        name: '故障报修',
        kind: 'repair',
        form: { fields: [{ key: 'meterNo', label: '表号', type: 'text', required: true, pattern: '[0-9]{8,12}' }] },
        workflow: { acceptRoles: ['agent'], steps: [{ id: 'repair', name: '抢修', mode: 'parallel', assign: { by: 'dispatcher' } }] },
      });
      const catalogue = () =>
        validationCatalogue({
          prompts: Object.keys(DEFAULT_PROMPTS_ZH),
          queues: [...DEFAULT_FLOW_NEEDS.queues],
          adapters: [...DEFAULT_FLOW_NEEDS.adapters],
          calendars: [...DEFAULT_FLOW_NEEDS.calendars],
        });
      const ivr = opts.withIvr
        ? {
            ivr: {
              flows: new FlowStore({ db: store.db, clock, catalogue }),
              catalogue,
              simulationDeps: () => ({ calendar: new FakeCalendar('open') }),
              promptText: (n: string) => DEFAULT_PROMPTS_ZH[n],
            },
          }
        : {};
      return {
        acd,
        ...ivr,
        ...(opts.withIvr && { telephony: telephonyDeps(store, clock), errorLog: sampleErrorLog() }),
        ...(opts.withWorkOrders !== false && { workOrders }),
        customers: { byPhone: (n) => customers.get(n) ?? [] },
        ...(opts.withCallControl && { callControl }),
        acdDirectory: staticDirectory({
          queues: [
            { id: 'q1', name: '故障报修', departmentId: 'd1' },
            { id: 'q2', name: '营业咨询', departmentId: 'd2' },
          ],
          agents: [
            { id: 'a1', name: '坐席一', departmentId: 'd1' },
            { id: 'a2', name: '坐席二', departmentId: 'd1' },
            { id: 'b1', name: '坐席三', departmentId: 'd2' },
          ],
        }),
      };
    },
  });
  return {
    h,
    acd,
    dialer,
    workOrders,
    customers,
    callActions,
    callIn: (callId, number, o = {}) => {
      h.bus.publish('ivr.flow.completed', {
        callId,
        channelId: callId,
        flowId: 'main',
        flowVersion: 1,
        lastNode: 'to-queue',
        path: o.path ?? ['welcome', 'menu', 'meter', 'to-queue'],
        vars: o.vars ?? {},
        durationMs: 12_000,
        outcome: 'enqueued',
        queue: o.queueId ?? 'q1',
      });
      const ch = new FakeChannel({ clock: h.clock, id: callId, caller: number });
      void ch.answer();
      void acd.enqueue({ channel: ch, queueId: o.queueId ?? 'q1', callId });
      return ch;
    },
    close: () => h.close(),
  };
}

/** A daemon-like error log (appliance/ops/error-log.ts) with a warning and an error in it. */
function sampleErrorLog(): ErrorLog {
  const ring = new ErrorLog(50);
  const log = teedLogger('silent', ring);
  log.child({ mod: 'sip.tx' }).warn({ txKey: 'z9hG4bK1' }, 'transaction timeout');
  log.child({ mod: 'calls' }).error({ callId: 'call-1' }, 'inbound call failed');
  return ring;
}
