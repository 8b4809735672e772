/** A knowledge service on a temporary SQLite file and a ManualClock, with a small 95598 article set. */
import path from 'node:path';
import { EventBus } from '../../core/events.js';
import { silentLogger } from '../../core/log.js';
import { ManualClock } from '../../core/testing/manual-clock.js';
import { tempDir } from '../../core/testing/temp-dir.js';
import { openStore, type Store } from '../../store/database.js';
import { KnowledgeService } from '../knowledge-service.js';
import type { KbActor } from '../model.js';

export const editor: KbActor = { id: 'user:editor', ip: '10.0.0.5', roles: ['kb-admin'], departmentIds: ['csc'] };

export function openKbRig(): { store: Store; clock: ManualClock; svc: KnowledgeService; close(): Promise<void> } {
  const clock = new ManualClock();
  const log = silentLogger();
  const store = openStore({ file: path.join(tempDir('kb-'), 'appliance.db'), clock, log });
  const svc = new KnowledgeService({ store, clock, bus: new EventBus({ clock, log }), log });
  return { store, clock, svc, close: () => store.close() };
}

export const articles = {
  tiered: {
    title: '居民阶梯电价政策说明',
    body: '居民生活用电实行阶梯电价：第一档年用电量2160千瓦时以内，电价0.56元；第二档2161至3120千瓦时，每千瓦时加价0.05元；第三档超过3120千瓦时部分加价0.30元。电费按月抄表、按年累计。',
    tags: ['电价', '阶梯'],
  },
  outage: {
    title: '计划停电通知查询',
    body: '客户来电询问停电原因时，先在停电信息库按台区查询计划停电和故障停电；计划停电提前七天公告，故障停电告知预计恢复送电时间。',
    tags: ['停电', '抢修'],
  },
  payment: {
    title: '电费缴纳渠道',
    body: '客户可通过营业厅、网上国网App、微信、支付宝和银行代扣缴纳电费。欠费停电后缴清电费，24小时内恢复供电。95598热线可查询欠费金额。',
    tags: ['电费', '缴费'],
  },
  meter: {
    title: '智能电表 Smart Meter 常见问题',
    body: '智能电表显示屏轮显电量与余额；余额不足时电表跳闸。客户怀疑电表走快可申请校验，校验费用按规定收取。',
    tags: ['电表', '计量'],
  },
} as const;

export function publishAll(svc: KnowledgeService): Record<keyof typeof articles, string> {
  svc.createCategory({ id: 'business', name: '业务办理' });
  svc.createCategory({ id: 'price', parentId: 'business', name: '电价电费' });
  svc.createCategory({ id: 'fault', name: '故障报修' });
  const cat = { tiered: 'price', outage: 'fault', payment: 'price', meter: 'business' } as const;
  const out = {} as Record<keyof typeof articles, string>;
  for (const [k, a] of Object.entries(articles) as [keyof typeof articles, (typeof articles)[keyof typeof articles]][]) {
    const created = svc.create({ ...a, tags: [...a.tags], categoryId: cat[k], visibility: k === 'outage' ? 'internal' : 'public' }, editor);
    svc.publish(created.id, created.version, editor);
    out[k] = created.id;
  }
  return out;
}
