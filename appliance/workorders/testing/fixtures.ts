/**
 * A work-order service on a real temporary SQLite file and a ManualClock, with a small utility
 * organisation: a customer-service centre, a field repair team, marketing, metering and a
 * complaints office; repair, complaint and consultation types; and the actors who work them.
 */
import path from 'node:path';
import { EventBus, type AnyAppEvent } from '../../core/events.js';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { openStore, type Store } from '../../store/database.js';
import type { Actor } from '../model.js';
import { WorkOrderService } from '../workorder-service.js';

/** Monday 2026-01-05 09:00 in China (+08:00). */
export const MONDAY_0900 = Date.UTC(2026, 0, 5, 1, 0, 0);

export interface Rig {
  store: Store;
  clock: ManualClock;
  bus: EventBus;
  svc: WorkOrderService;
  events: AnyAppEvent[];
  file: string;
  close(): Promise<void>;
}

export const actors = {
  agent: { id: 'user:agent1', roles: ['agent'], departmentIds: ['csc'], ip: '10.0.0.11', channel: 'web' },
  agent2: { id: 'user:agent2', roles: ['agent'], departmentIds: ['csc'], ip: '10.0.0.12', channel: 'web' },
  supervisor: { id: 'user:boss', roles: ['supervisor'], departmentIds: ['csc'], ip: '10.0.0.2', channel: 'web' },
  lineman: { id: 'user:lineman', roles: ['field'], departmentIds: ['field'], ip: '10.0.1.5', channel: 'api' },
  lineman2: { id: 'user:lineman2', roles: ['field'], departmentIds: ['field2'], ip: '10.0.1.6', channel: 'api' },
  marketing: { id: 'user:mk', roles: ['staff'], departmentIds: ['marketing'], channel: 'web' },
  metering: { id: 'user:mt', roles: ['staff'], departmentIds: ['metering'], channel: 'web' },
  complaints: { id: 'user:co', roles: ['staff'], departmentIds: ['complaints'], channel: 'web' },
  fieldHead: { id: 'user:field-head', roles: ['staff'], departmentIds: ['field'], channel: 'web' },
  outsider: { id: 'user:nobody', roles: [], departmentIds: [], channel: 'web' },
  visitor: { id: 'user:visitor', roles: ['visitor'], departmentIds: ['csc'], channel: 'phone' },
} satisfies Record<string, Actor>;

export function openRig(opts: { start?: number; file?: string; withOrg?: boolean; slaMaxSleepMs?: number } = {}): Rig {
  const clock = new ManualClock(opts.start ?? MONDAY_0900);
  const log = silentLogger();
  const file = opts.file ?? path.join(tempDir('wo-'), 'appliance.db');
  const store = openStore({ file, clock, log });
  const bus = new EventBus({ clock, log });
  const events: AnyAppEvent[] = [];
  bus.onAny((e) => events.push(e));
  const superiors = new Map([['user:lineman', 'user:field-head'], ['user:field-head', 'user:director']]);
  const svc = new WorkOrderService({ store, clock, bus, log, directory: { superiorOf: (u) => superiors.get(u) ?? null },
    ...(opts.slaMaxSleepMs !== undefined ? { slaMaxSleepMs: opts.slaMaxSleepMs } : {}),
  });
  if (opts.withOrg !== false) seedOrg(svc);
  return { store, clock, bus, svc, events, file, close: () => store.close() };
}

export function seedOrg(svc: WorkOrderService): void {
  svc.createDepartment({ id: 'csc', code: '01', name: '客户服务中心' });
  svc.createDepartment({ id: 'field', code: '02', name: '城区抢修班', parentId: 'csc', headUserId: 'user:field-head' });
  svc.createDepartment({ id: 'field2', code: '03', name: '郊区抢修班', parentId: 'csc' });
  svc.createDepartment({ id: 'marketing', code: '04', name: '营销部' });
  svc.createDepartment({ id: 'metering', code: '05', name: '计量中心' });
  svc.createDepartment({ id: 'complaints', code: '06', name: '投诉办' });
  svc.createCalendar({
    id: 'office',
    name: '营业时间',
    definition: {
      utcOffsetMinutes: 480,
      weekly: [[], [[510, 720], [810, 1050]], [[510, 720], [810, 1050]], [[510, 720], [810, 1050]], [[510, 720], [810, 1050]], [[510, 720], [810, 1050]], []],
    },
  });
  svc.createType({
    id: 'repair',
    name: '故障报修',
    kind: 'repair',
    form: {
      fields: [
        { key: 'meterNo', label: '表号', type: 'text', required: true, pattern: '[0-9]{8,12}' },
        { key: 'faultKind', label: '故障类型', type: 'select', required: true, options: [{ value: 'no-power', label: '无电' }, { value: 'low-voltage', label: '电压低' }] },
        { key: 'households', label: '影响户数', type: 'integer', min: 1, max: 100000 },
      ],
    },
    workflow: {
      acceptRoles: ['agent'],
      steps: [{ id: 'repair', name: '抢修', mode: 'parallel', assign: { by: 'dispatcher' } }],
    },
  });
  svc.createType({
    id: 'complaint',
    name: '投诉',
    kind: 'complaint',
    calendarId: 'office',
    workflow: {
      steps: [
        { id: 'investigate', name: '会签调查', mode: 'countersign', assign: { by: 'department', departmentIds: ['marketing', 'metering', 'complaints'] }, limitMinutes: 480 },
        { id: 'approve', name: '审核', mode: 'serial', assign: { by: 'relation', relation: 'acceptor' } },
      ],
    },
  });
  svc.createType({
    id: 'consult',
    name: '咨询',
    kind: 'consultation',
    workflow: { steps: [], directClose: true },
  });
}

export function repairInput(extra: Record<string, unknown> = {}): Parameters<WorkOrderService['create']>[0] {
  return {
    typeId: 'repair',
    source: 'call',
    priority: 'high',
    areaClass: 'urban',
    title: '和平路12号整栋无电',
    fields: { meterNo: '1234567890', faultKind: 'no-power', households: 24 },
    customerId: 'cust_1',
    contactPhone: '13800138000',
    callIds: ['call_01ABC'],
    recordingIds: ['rec_01ABC'],
    ...extra,
  };
}

/** Row counts of every work-order table: a test asserts they did not change. */
export function tableCounts(store: Store): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of ['workorders', 'workorder_events', 'workorder_assignments', 'workorder_sla', 'workorder_links', 'workorder_sequences']) {
    out[t] = (store.sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
  }
  return out;
}

/** The whole order row as stored (to assert "nothing changed"). */
export function rawOrder(store: Store, id: string): unknown {
  return store.sqlite.prepare('SELECT * FROM workorders WHERE id = ?').get(id);
}
