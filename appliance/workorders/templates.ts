/**
 * Defaults shipped with the appliance so a utility hotline works on first boot: the business
 * types of [E 5.3] (咨询, 故障报修, 投诉, 建议, 业务申请/报装, 违窃举报, 表扬) with their forms and
 * workflows, an office calendar (08:30–12:00, 13:30–17:30, Monday–Friday, +08:00) and the SLA
 * templates of METRICS.md [U1]: repair arrival ≤ 45 min urban, ≤ 90 min rural, ≤ 2 h remote;
 * restoration ≤ 3 h urban, ≤ 4 h rural (round the clock); plus office-hours reply/resolve
 * clocks for complaints and applications. Operators edit all of it afterwards.
 */
import { weekdayCalendar } from './calendar.js';
import type { SlaPolicyInput, TypeInput } from './schemas.js';
import type { WorkOrderService } from './workorder-service.js';

export const OFFICE_CALENDAR_ID = 'office';

const dispatcherStep = (id: string, name: string, mode: 'serial' | 'parallel' | 'countersign' = 'serial') => ({
  id,
  name,
  mode,
  assign: { by: 'dispatcher' as const },
});

export const defaultTypes: TypeInput[] = [
  { id: 'consultation', name: '咨询', kind: 'consultation', workflow: { steps: [dispatcherStep('answer', '答复')], directClose: true } },
  {
    id: 'repair',
    name: '故障报修',
    kind: 'repair',
    form: {
      fields: [
        { key: 'faultKind', label: '故障类型', type: 'select', required: true, options: [
          { value: 'no-power', label: '无电' },
          { value: 'partial', label: '缺相/部分无电' },
          { value: 'low-voltage', label: '电压异常' },
          { value: 'meter', label: '计量装置故障' },
          { value: 'danger', label: '安全隐患' },
        ] },
        { key: 'accountNo', label: '户号', type: 'text', maxLength: 20 },
        { key: 'households', label: '影响户数', type: 'integer', min: 1 },
        { key: 'outageStart', label: '停电时间', type: 'datetime' },
      ],
    },
    workflow: { steps: [dispatcherStep('repair', '抢修', 'parallel')] },
  },
  {
    id: 'complaint',
    name: '投诉',
    kind: 'complaint',
    calendarId: OFFICE_CALENDAR_ID,
    form: { fields: [{ key: 'respondent', label: '被投诉对象', type: 'text', maxLength: 100 }] },
    workflow: {
      steps: [dispatcherStep('investigate', '调查处理', 'countersign'), { id: 'approve', name: '审核', assign: { by: 'relation', relation: 'acceptor' } }],
    },
  },
  { id: 'suggestion', name: '建议', kind: 'suggestion', calendarId: OFFICE_CALENDAR_ID, workflow: { steps: [dispatcherStep('handle', '处理')] } },
  {
    id: 'application',
    name: '业务申请/报装',
    kind: 'application',
    calendarId: OFFICE_CALENDAR_ID,
    form: {
      fields: [
        { key: 'business', label: '业务类别', type: 'select', required: true, options: [
          { value: 'new-install', label: '新装' },
          { value: 'capacity', label: '增容' },
          { value: 'rename', label: '更名过户' },
          { value: 'meter-check', label: '校验电表' },
        ] },
        { key: 'capacityKva', label: '申请容量(kVA)', type: 'number', min: 0 },
      ],
    },
    workflow: { steps: [dispatcherStep('survey', '现场勘查'), dispatcherStep('handle', '业务办理')] },
  },
  { id: 'theft-report', name: '违窃举报', kind: 'theft-report', calendarId: OFFICE_CALENDAR_ID, workflow: { steps: [dispatcherStep('inspect', '稽查')] } },
  { id: 'praise', name: '表扬', kind: 'praise', workflow: { steps: [dispatcherStep('forward', '转达')], directClose: true } },
];

export const defaultPolicies: SlaPolicyInput[] = [
  { typeId: 'repair', areaClass: 'urban', metric: 'arrival', targetMinutes: 45 },
  { typeId: 'repair', areaClass: 'rural', metric: 'arrival', targetMinutes: 90 },
  { typeId: 'repair', areaClass: 'remote', metric: 'arrival', targetMinutes: 120 },
  { typeId: 'repair', areaClass: 'urban', metric: 'restore', targetMinutes: 180 },
  { typeId: 'repair', areaClass: 'rural', metric: 'restore', targetMinutes: 240 },
  { typeId: 'repair', metric: 'accept', targetMinutes: 5 },
  { typeId: 'complaint', metric: 'reply', targetMinutes: 5 * 450, calendarId: OFFICE_CALENDAR_ID, warnPercents: [50, 80] },
  { typeId: 'application', metric: 'resolve', targetMinutes: 5 * 450, calendarId: OFFICE_CALENDAR_ID },
];

/** Install the defaults into an empty work-order catalogue (types that exist are left alone). */
export function installDefaults(svc: WorkOrderService): { types: number; policies: number } {
  const existing = new Set(svc.listTypes().map((t) => t.id));
  let calendarExists = true;
  try {
    svc.calendar(OFFICE_CALENDAR_ID);
  } catch {
    calendarExists = false;
  }
  if (!calendarExists) svc.createCalendar({ id: OFFICE_CALENDAR_ID, name: '营业时间', definition: weekdayCalendar() });
  let types = 0;
  for (const t of defaultTypes) {
    if (existing.has(t.id)) continue;
    svc.createType(t);
    types++;
  }
  let policies = 0;
  if (types === defaultTypes.length) {
    for (const p of defaultPolicies) {
      svc.createSlaPolicy(p);
      policies++;
    }
  }
  return { types, policies };
}
