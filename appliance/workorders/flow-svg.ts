/**
 * The graphical flow history of a work order (issue 8 "a graphical flow history of each order
 * (server-rendered SVG) for tracking"; seed [W 2–4] "tracking with a graphical flow history"),
 * drawn from history() — the append-only workorder_events rows. One box per action, top to
 * bottom: what happened (受理, 派工, 退办 …), who, from where, when (local time), the status it
 * led to, and on the connector the time it took since the previous action. SLA breaches, and
 * every action taken after the first breach while the order was still open, are drawn red.
 *
 * Every piece of text passes through `esc` (the only way text enters the markup): names and
 * notes come from users and must not become markup (W3C SVG 1.1 is XML: & < > " ' escaped).
 */
import type { OrderAction, OrderEvent } from './model.js';

const LABELS: Record<OrderAction, string> = {
  create: '登记',
  accept: '受理',
  dispatch: '派工',
  transfer: '转办',
  return: '退办',
  reply: '回复',
  arrive: '到达现场',
  urge: '催办',
  suspend: '挂起',
  'await-customer': '待客户',
  resume: '恢复',
  close: '办结',
  reopen: '重开',
  visit: '回访',
  cancel: '作废',
  'sla-warn': '超时预警',
  'sla-breach': '已超时',
};

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** XML-escape text for element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** 3 h 05 min, 12 min, 40 s. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export interface FlowSvgOptions {
  /** Local offset for times (China: +480). */
  utcOffsetMinutes?: number;
  title?: string;
}

const W = 560;
const BOX_H = 64;
const GAP = 30;
const TOP = 44;

/** Render the order's events as a standalone SVG document. */
export function renderFlowSvg(events: readonly OrderEvent[], opts: FlowSvgOptions = {}): string {
  const offset = (opts.utcOffsetMinutes ?? 480) * 60_000;
  const local = (ms: number): string => new Date(ms + offset).toISOString().slice(0, 16).replace('T', ' ');
  const firstBreach = events.find((e) => e.action === 'sla-breach')?.at ?? null;
  const height = TOP + events.length * (BOX_H + GAP) + 10;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${esc(opts.title ?? 'flow history')}</title>`,
    `<text x="16" y="26" font-size="15" font-weight="bold">${esc(opts.title ?? '')}</text>`,
  ];
  events.forEach((e, i) => {
    const y = TOP + i * (BOX_H + GAP);
    const open = e.toStatus !== 'closed' && e.toStatus !== 'visited' && e.toStatus !== 'cancelled';
    const overdue = e.action === 'sla-breach' || (firstBreach !== null && e.at >= firstBreach && open && e.action !== 'sla-warn');
    const warn = e.action === 'sla-warn';
    const stroke = overdue ? '#c62828' : warn ? '#ef6c00' : '#455a64';
    const fill = overdue ? '#ffebee' : warn ? '#fff3e0' : '#f5f7f8';
    const cls = overdue ? 'step overdue' : warn ? 'step warned' : 'step';
    if (i > 0) {
      const prev = events[i - 1]!;
      const y0 = y - GAP;
      parts.push(
        `<line x1="40" y1="${y0}" x2="40" y2="${y}" stroke="${stroke}" stroke-width="2"/>`,
        `<text x="52" y="${y0 + GAP / 2 + 4}" fill="${overdue ? '#c62828' : '#607d8b'}">+${esc(formatDuration(e.at - prev.at))}</text>`,
      );
    }
    const who = `${e.actor}${e.actorIp ? ` @ ${e.actorIp}` : ''} · ${e.channel}`;
    const status = `${e.fromStatus ?? '—'} → ${e.toStatus}${e.stepId ? ` · ${e.stepId}` : ''}`;
    const note = e.note ? (e.note.length > 60 ? `${e.note.slice(0, 59)}…` : e.note) : '';
    parts.push(
      `<g class="${cls}" data-action="${esc(e.action)}">`,
      `<rect x="16" y="${y}" width="${W - 32}" height="${BOX_H}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="${overdue ? 2 : 1}"/>`,
      `<text x="28" y="${y + 18}" font-weight="bold" fill="${stroke}">${esc(LABELS[e.action])} <tspan font-weight="normal" fill="#333">${esc(local(e.at))}</tspan></text>`,
      `<text x="28" y="${y + 35}" fill="#333">${esc(who)}</text>`,
      `<text x="28" y="${y + 52}" fill="#555">${esc(status)}${note ? ` — ${esc(note)}` : ''}</text>`,
      `</g>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
