/**
 * Work-order rows for report tests (workorders/reports.test.ts and the panel's report tests):
 * inserted directly so each figure is hand-countable.
 *
 *   o1 repair/outage     closed   ok        satisfied     created T0,      closed T0+2h  depts d1, d2
 *   o2 repair/outage     visited  breached  dissatisfied  created T0+1h,   closed T0+5h  dept d2
 *   o3 repair/—          in-progress ok, due T0+1d                                       dept d2
 *   o4 complaint/service accepted ok, due T0+20d
 *   o5 complaint/service new      breached
 *   o6 complaint/service cancelled
 *   o7 repair            closed, created before T0 (outside the range)
 *   o8 complaint/service closed   ok        unreachable   created T0+3h,   closed T0+24h
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';

/** Monday 2026-01-05 00:00 in China. */
export const WO_T0 = Date.UTC(2026, 0, 4, 16, 0);
const H = 3_600_000;

export async function seedWorkOrderReportFixture(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('departments')
    .values([
      { id: 'd1', code: 'D1', name: '城区供电所', parent_id: null, head_user_id: null, created_at: 0, updated_at: 0 },
      { id: 'd2', code: 'D2', name: '抢修班', parent_id: null, head_user_id: null, created_at: 0, updated_at: 0 },
    ])
    .execute();
  await db
    .insertInto('workorder_types')
    .values([
      { id: 'repair', name: '故障报修', kind: 'repair', form: '{}', workflow: '{}', calendar_id: null, created_at: 0, updated_at: 0 },
      { id: 'complaint', name: '投诉', kind: 'complaint', form: '{}', workflow: '{}', calendar_id: null, created_at: 0, updated_at: 0 },
    ])
    .execute();
  await db
    .insertInto('workorder_categories')
    .values([
      { id: 'cat-outage', type_id: 'repair', parent_id: null, code: 'outage', name: '停电', created_at: 0 },
      { id: 'cat-service', type_id: 'complaint', parent_id: null, code: 'service', name: '服务态度', created_at: 0 },
    ])
    .execute();
  const order = (
    id: string,
    type: string,
    category: string | null,
    status: string,
    sla: string,
    visit: string | null,
    created: number,
    closed: number | null,
    due: number | null,
  ) => ({
    id,
    number: `GD-${id}`,
    type_id: type,
    category_id: category,
    source: 'call',
    priority: 'normal',
    area_class: null,
    status,
    title: `<b>${id}</b>`,
    customer_id: null,
    contact_name: null,
    contact_phone: null,
    address: null,
    created_by: 'user:1',
    acceptor_id: null,
    current_step: null,
    resume_status: null,
    visit_result: visit,
    sla_state: sla,
    due_at: due,
    created_at: created,
    updated_at: created,
    accepted_at: null,
    closed_at: closed,
  });
  await db
    .insertInto('workorders')
    .values([
      order('o1', 'repair', 'cat-outage', 'closed', 'ok', 'satisfied', WO_T0, WO_T0 + 2 * H, null),
      order('o2', 'repair', 'cat-outage', 'visited', 'breached', 'dissatisfied', WO_T0 + H, WO_T0 + 5 * H, null),
      order('o3', 'repair', null, 'in-progress', 'ok', null, WO_T0 + 2 * H, null, WO_T0 + 24 * H),
      order('o4', 'complaint', 'cat-service', 'accepted', 'ok', null, WO_T0 + 2 * H, null, WO_T0 + 20 * 24 * H),
      order('o5', 'complaint', 'cat-service', 'new', 'breached', null, WO_T0 + 2 * H, null, null),
      order('o6', 'complaint', 'cat-service', 'cancelled', 'ok', null, WO_T0 + 2 * H, null, null),
      order('o7', 'repair', null, 'closed', 'ok', 'satisfied', WO_T0 - H, WO_T0, null),
      order('o8', 'complaint', 'cat-service', 'closed', 'ok', 'unreachable', WO_T0 + 3 * H, WO_T0 + 24 * H, null),
    ])
    .execute();
  const assign = (order_id: string, dept: string, seq: number) => ({
    order_id,
    step_id: 'dispatch',
    round: 1,
    seq,
    assignee_kind: 'department',
    assignee_id: dept,
    status: 'replied',
    reply: null,
    acted_by: null,
    created_at: WO_T0,
    acted_at: null,
  });
  await db
    .insertInto('workorder_assignments')
    .values([assign('o1', 'd1', 1), assign('o1', 'd2', 2), assign('o2', 'd2', 1), assign('o2', 'd2', 2), assign('o3', 'd2', 1)])
    .execute();
}
