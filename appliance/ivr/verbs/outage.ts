/**
 * outage (issue 7 "Outage announcements"): before the menu, tell callers in an outage area what
 * they called about — "您所在区域因10千伏线路故障停电，预计今天十一点二十分恢复送电" — built from the
 * outage record (GIS, or staff-entered 停电预告/故障停电) through TTS; offer "press 1 to be
 * notified when power is restored" (a request stored for the outbound notice, once per caller
 * and outage); and in surge mode — an active outage affecting at least `surgeThreshold`
 * customers — continue at `onSurge`, a shortened flow that keeps callers in self-service.
 *
 * Never in the caller's way: no OutagePort, an unknown area, no outage, or a GIS that fails or
 * is slower than `timeoutMs` all continue at `next` silently (logged, `outage_status` says which).
 * Variables set: outage_status (none|active|scheduled|unknown|failed), outage_id, outage_kind,
 * outage_cause, outage_start, outage_restore (spoken form), outage_area, outage_order (the
 * outage's work order, so an agent links the call to it instead of opening a duplicate),
 * outage_customers, outage_notify (requested|duplicate|declined|failed), surge (1 or '').
 */
import type { NodeOf } from '../flow-schema.js';
import { VerbAborted } from '../errors.js';
import type { OutageNotice } from '../ports.js';
import { say, sayText, type Lang } from '../say/index.js';
import { next, Verb, type Step, type VerbContext } from './verb.js';

const TEXT: Readonly<Record<Lang, { active: string; activeUnknown: string; scheduled: string; offer: string; confirm: string; duplicate: string }>> = {
  zh: {
    active: '您所在区域因{{outage_cause}}停电，预计{{outage_restore}}恢复送电，给您带来不便，敬请谅解。',
    activeUnknown: '您所在区域因{{outage_cause}}停电，抢修人员正在全力处理，恢复送电时间待定，给您带来不便，敬请谅解。',
    scheduled: '您所在区域因{{outage_cause}}，计划于{{outage_start}}停电，预计{{outage_restore}}恢复送电。',
    offer: '如需在恢复送电后通知您，请按{{notify_key}}。',
    confirm: '已为您登记，恢复送电后我们将通知您。',
    duplicate: '您已登记过恢复送电通知，恢复送电后我们将通知您。',
  },
  en: {
    active: 'There is a power outage in your area due to {{outage_cause}}. Power is expected back {{outage_restore}}. We apologise for the inconvenience.',
    activeUnknown: 'There is a power outage in your area due to {{outage_cause}}. Our crews are working on it; the restoration time is not yet known.',
    scheduled: 'A planned outage for {{outage_cause}} will affect your area from {{outage_start}}. Power is expected back {{outage_restore}}.',
    offer: 'To be notified when power is restored, press {{notify_key}}.',
    confirm: 'Thank you. We will notify you when power is restored.',
    duplicate: 'You are already registered; we will notify you when power is restored.',
  },
};

type Found = { kind: 'found'; area: string; accountNo: string | null; outages: OutageNotice[] } | { kind: 'unknown' } | { kind: 'failed'; reason: string };

export class OutageVerb extends Verb<NodeOf<'outage'>> {
  async exec(ctx: VerbContext): Promise<Step> {
    const n = this.node;
    ctx.vars.surge = '';
    const found = await this.find(ctx);
    if (found.kind !== 'found') {
      ctx.vars.outage_status = found.kind;
      if (found.kind === 'failed') ctx.log.warn({ node: this.nodeId, reason: found.reason }, 'outage check skipped');
      return next(n.next);
    }
    const outage = found.outages.find((o) => o.status === 'active' || (n.includeScheduled && o.status === 'scheduled'));
    if (!outage) {
      ctx.vars.outage_status = 'none';
      return next(n.next);
    }
    const lang = ctx.lang;
    Object.assign(ctx.vars, {
      outage_status: outage.status,
      outage_id: outage.id,
      outage_kind: outage.kind,
      outage_cause: outage.cause,
      outage_start: spokenTime(outage.start, ctx.clock.now(), lang),
      outage_restore: outage.estimatedRestoration ? spokenTime(outage.estimatedRestoration, ctx.clock.now(), lang) : '',
      outage_area: found.area,
      outage_order: outage.workOrderId ?? '',
      outage_customers: String(outage.affectedCustomers),
    });
    const t = TEXT[lang];
    const announce = n.announce ?? (outage.status === 'scheduled' ? t.scheduled : outage.estimatedRestoration ? t.active : t.activeUnknown);
    await ctx.play([{ tts: announce }], { bargeIn: false });

    if (n.notifyKey !== null && ctx.deps.outage) {
      ctx.dtmf.clear();
      ctx.vars.notify_key = n.notifyKey;
      await ctx.play([{ tts: (n.notifyOffer ?? t.offer).replaceAll('{{notify_key}}', n.notifyKey) }], { bargeIn: true });
      const key = await ctx.nextDigit(n.notifyTimeoutMs);
      delete ctx.vars.notify_key;
      if (key === n.notifyKey) {
        try {
          const r = await ctx.deps.outage.requestNotification({
            callId: ctx.callId,
            caller: ctx.vars.caller ?? '',
            outageId: outage.id,
            area: found.area,
            accountNo: found.accountNo,
          });
          ctx.vars.outage_notify = r.duplicate ? 'duplicate' : 'requested';
          await ctx.play([{ tts: n.notifyConfirm ?? (r.duplicate ? t.duplicate : t.confirm) }]);
        } catch (err) {
          if (err instanceof VerbAborted) throw err;
          ctx.vars.outage_notify = 'failed';
          ctx.log.warn({ node: this.nodeId, err }, 'outage notify request failed');
        }
      } else {
        ctx.vars.outage_notify = 'declined';
      }
    }

    if (n.onSurge !== undefined && n.surgeThreshold !== undefined && outage.status === 'active' && outage.affectedCustomers >= n.surgeThreshold) {
      ctx.vars.surge = '1';
      return next(n.onSurge);
    }
    return next(n.next);
  }

  /** Locate the caller and ask for outages, within timeoutMs on the call's clock. */
  private async find(ctx: VerbContext): Promise<Found> {
    const port = ctx.deps.outage;
    if (!port) return { kind: 'failed', reason: 'no-outage-port' };
    const call = new AbortController();
    const stop = (): void => call.abort(new VerbAborted());
    ctx.signal.addEventListener('abort', stop, { once: true });
    let timer: { cancel(): void } | undefined;
    try {
      const work = (async (): Promise<Found> => {
        let area: string | null;
        let accountNo: string | null = null;
        if (this.node.area !== undefined) area = ctx.render(this.node.area).trim() || null;
        else {
          const loc = await port.locate(ctx.vars.caller ?? '', call.signal);
          area = loc.area;
          accountNo = loc.accountNo;
        }
        if (!area) return { kind: 'unknown' };
        return { kind: 'found', area, accountNo, outages: await port.outages(area, call.signal) };
      })();
      const r = await Promise.race<Found>([
        work.catch((err: unknown): Found => ({ kind: 'failed', reason: err instanceof Error ? err.message : String(err) })),
        new Promise<Found>((resolve) => {
          timer = ctx.clock.setTimeout(() => resolve({ kind: 'failed', reason: 'timeout' }), this.node.timeoutMs);
        }),
        new Promise<Found>((_, reject) => {
          if (ctx.signal.aborted) reject(new VerbAborted());
          ctx.signal.addEventListener('abort', () => reject(new VerbAborted()), { once: true });
        }),
      ]);
      if (r.kind === 'failed') call.abort();
      return r;
    } finally {
      timer?.cancel();
      ctx.signal.removeEventListener('abort', stop);
    }
  }
}

/**
 * "2026-01-05T11:20:00+08:00" read relative to `now` in the same offset: 今天十一点二十分,
 * 明天…, 一月七日… (English: "today at 11:20", "tomorrow at 11:20", "on 2026-01-07 at 11:20").
 */
export function spokenTime(rfc3339: string, now: number, lang: Lang): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(rfc3339);
  if (!m) return rfc3339;
  const off = m[6] === 'Z' ? 0 : (m[6]!.startsWith('-') ? -1 : 1) * (Number(m[6]!.slice(1, 3)) * 60 + Number(m[6]!.slice(4, 6)));
  const today = new Date(now + off * 60_000).toISOString().slice(0, 10);
  const tomorrow = new Date(now + off * 60_000 + 86_400_000).toISOString().slice(0, 10);
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  const hm = `${m[4]}:${m[5]}`;
  if (lang === 'zh') {
    const time = sayText(say('time', hm, 'zh'), 'zh');
    if (date === today) return `今天${time}`;
    if (date === tomorrow) return `明天${time}`;
    return `${sayText(say('number', String(Number(m[2])), 'zh'), 'zh')}月${sayText(say('number', String(Number(m[3])), 'zh'), 'zh')}日${time}`;
  }
  if (date === today) return `today at ${hm}`;
  if (date === tomorrow) return `tomorrow at ${hm}`;
  return `on ${date} at ${hm}`;
}
