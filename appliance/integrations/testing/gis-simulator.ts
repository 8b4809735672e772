/**
 * SIMULATOR of a utility GIS / outage-management system (停电信息), for the demo and the tests.
 * It keeps its own outage records — planned (停电预告, announced in advance) and unplanned
 * (故障停电) — over Zhengzhou supply areas (GB/T 2260 district codes with supply-station and
 * transformer-area suffixes: an outage on area 410105 covers every customer area 410105xx),
 * and answers:
 *
 *   GET /v1/outages?area=<code>          outages covering that area (active, or planned to start
 *                                        within `horizonMs`), most customers first
 *   GET /v1/outages?address=<text>       the same, matched by street name in the address
 *   GET /v1/outages/<id>                 one outage
 *
 * An outage record: { id, kind: planned|unplanned, status: active|scheduled|restored, areaCodes,
 * streets, cause, start, estimatedRestoration, restoredAt, affectedCustomers, workOrderId }
 * with times as RFC 3339 strings in +08:00. Fault injection (latency, failures, hangs, junk)
 * comes from sim-server.ts.
 */
import type { Clock } from '../../core/clock.js';
import { notFound, SimServer, type SimAnswer, type SimRequest, type SimServerOptions } from './sim-server.js';

export type OutageKind = 'planned' | 'unplanned';

export interface SimOutage {
  id: string;
  kind: OutageKind;
  areaCodes: string[];
  streets: string[];
  cause: string;
  /** ms */
  start: number;
  estimatedRestoration: number;
  restoredAt: number | null;
  affectedCustomers: number;
  workOrderId: string | null;
}

const HOUR = 3_600_000;

export function rfc3339(ms: number, offsetMinutes = 480): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export class GisSimulator {
  readonly server: SimServer;
  /** Planned outages starting within this window are reported as `scheduled`. */
  horizonMs = 24 * HOUR;
  private readonly outages = new Map<string, SimOutage>();

  constructor(private readonly opts: SimServerOptions & { clock: Clock }) {
    this.server = new SimServer((r) => this.handle(r), opts);
  }

  get url(): string {
    return this.server.url;
  }

  get token(): string {
    return this.server.token;
  }

  start(): Promise<void> {
    return this.server.start();
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  put(o: SimOutage): void {
    this.outages.set(o.id, { ...o });
  }

  restore(id: string, at = this.opts.clock.now()): void {
    const o = this.outages.get(id);
    if (!o) throw new Error(`no outage ${id}`);
    o.restoredAt = at;
  }

  get(id: string): SimOutage | undefined {
    return this.outages.get(id);
  }

  /** A realistic set around `now`: a big feeder fault, a small transformer fault, a planned job. */
  seed(now = this.opts.clock.now()): SimOutage[] {
    const list: SimOutage[] = [
      {
        id: 'GZ-20260105-0031',
        kind: 'unplanned',
        areaCodes: ['410105'],
        streets: ['经三路', '花园路'],
        cause: '10千伏线路故障',
        start: now - 40 * 60_000,
        estimatedRestoration: now + 2 * HOUR + 20 * 60_000,
        restoredAt: null,
        affectedCustomers: 3200,
        workOrderId: 'WO-GZ-0031',
      },
      {
        id: 'GZ-20260105-0032',
        kind: 'unplanned',
        areaCodes: ['41010202'],
        streets: ['中原路'],
        cause: '台区变压器故障',
        start: now - 15 * 60_000,
        estimatedRestoration: now + HOUR,
        restoredAt: null,
        affectedCustomers: 180,
        workOrderId: 'WO-GZ-0032',
      },
      {
        id: 'JH-20260106-0007',
        kind: 'planned',
        areaCodes: ['41012201'],
        streets: ['文化路'],
        cause: '线路检修',
        start: now + 20 * HOUR,
        estimatedRestoration: now + 28 * HOUR,
        restoredAt: null,
        affectedCustomers: 650,
        workOrderId: null,
      },
    ];
    for (const o of list) this.put(o);
    return list;
  }

  private status(o: SimOutage, now: number): 'active' | 'scheduled' | 'restored' | 'past' {
    if (o.restoredAt !== null && o.restoredAt <= now) return 'restored';
    if (o.start <= now) return 'active';
    return o.start - now <= this.horizonMs ? 'scheduled' : 'past';
  }

  private out(o: SimOutage, now: number): Record<string, unknown> {
    return {
      id: o.id,
      kind: o.kind,
      status: this.status(o, now),
      areaCodes: o.areaCodes,
      streets: o.streets,
      cause: o.cause,
      start: rfc3339(o.start),
      estimatedRestoration: rfc3339(o.estimatedRestoration),
      restoredAt: o.restoredAt === null ? null : rfc3339(o.restoredAt),
      affectedCustomers: o.affectedCustomers,
      workOrderId: o.workOrderId,
    };
  }

  private handle(r: SimRequest): SimAnswer {
    const now = this.opts.clock.now();
    if (r.method !== 'GET' || r.parts[0] !== 'v1' || r.parts[1] !== 'outages') return notFound(r.url.pathname);
    if (r.parts.length === 3) {
      const o = this.outages.get(r.parts[2]!);
      return o ? { status: 200, body: this.out(o, now) } : notFound(`outage ${r.parts[2]}`);
    }
    const area = r.url.searchParams.get('area');
    const address = r.url.searchParams.get('address');
    if (!area && !address) return { status: 400, body: { error: 'area or address is required' } };
    const hits = [...this.outages.values()]
      .filter((o) => {
        const s = this.status(o, now);
        if (s !== 'active' && s !== 'scheduled') return false;
        if (area) return o.areaCodes.some((c) => area.startsWith(c));
        return o.streets.some((st) => address!.includes(st));
      })
      .sort((a, b) => b.affectedCustomers - a.affectedCustomers);
    return { status: 200, body: { outages: hits.map((o) => this.out(o, now)) } };
  }
}
