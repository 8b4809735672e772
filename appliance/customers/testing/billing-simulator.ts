/**
 * A billing system (营销系统) for tests and demos: a real HTTP server with its own customer data
 * and change log, speaking the protocol of billing-port.ts. Changing a customer appends to the
 * change log (a sequence number), so `GET /v1/customers/changes?since=` returns what changed
 * since a cursor, in order, paged. It checks the bearer token, can be told to fail the next N
 * requests (503) and can serve a malformed record, as real upstream systems do.
 *
 * Self-service lookups for the IVR (integrations/lookup/billing-lookup.ts) use the same data:
 *
 *   GET  /v1/accounts/<户号>/balance           balance, arrears, last payment, due date, supply area
 *   GET  /v1/accounts?phone=<number>          accounts whose customer has that phone
 *   POST /v1/accounts/<户号>/meter-readings    {reading, requestId} → 201 (idempotent by requestId)
 *
 * Amounts are decimal yuan strings ("123.45"), dates RFC 3339 in +08:00. `hang()` holds every
 * request until `release()` (a hung back end, for timeout tests).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../core/clock.js';
import type { BillingRecord } from '../schemas.js';

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭'];
const GIVEN = ['伟', '芳', '娜', '秀英', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛'];
const STREETS = ['金水路', '花园路', '农业路', '文化路', '经三路', '纬五路', '中原路', '建设路'];
/** Zhengzhou districts (GB/T 2260) with a supply-station suffix. */
const AREAS = ['41010201', '41010202', '41010301', '41010501', '41010502', '41012201'];

export interface SimulatorOptions {
  token?: string;
  /** Stamps received meter readings (default: the system clock). */
  clock?: Clock;
}

/** The money side of an account (what the self-service lookups read). */
export interface SimLedger {
  balanceCents: number;
  lastPayment: { amountCents: number; at: number; channel: string } | null;
  dueAt: number | null;
}

export interface SimMeterReading {
  accountNo: string;
  reading: number;
  requestId: string;
  at: number;
}

function parseBody(raw: string | null): { reading?: unknown; requestId?: unknown } | null {
  try {
    const v: unknown = raw ? JSON.parse(raw) : null;
    return typeof v === 'object' && v !== null ? (v as { reading?: unknown; requestId?: unknown }) : null;
  } catch {
    return null;
  }
}

const yuan = (cents: number): string => `${Math.trunc(cents / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`;
const rfc3339 = (ms: number): string => `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;

export class BillingSimulator {
  readonly token: string;
  private server: Server | null = null;
  private seq = 0;
  /** customerNo → [seq of last change, record or raw junk]. */
  private readonly data = new Map<string, { seq: number; record: unknown }>();
  private failures = 0;
  private held: Array<() => void> | null = null;
  private readonly ledgers = new Map<string, SimLedger>();
  /** Meter readings received, in order. */
  readonly meterReadings: SimMeterReading[] = [];
  requests = 0;

  private readonly clock: Clock;

  constructor(opts: SimulatorOptions = {}) {
    this.token = opts.token ?? 'sim-token';
    this.clock = opts.clock ?? systemClock;
  }

  get url(): string {
    if (!this.server) throw new Error('simulator not started');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async start(): Promise<void> {
    this.server = createServer(async (req, res) => {
      this.requests++;
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
      if (res.destroyed) return;
      const url = new URL(req.url ?? '/', 'http://sim');
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { error: 'unauthorized' });
      if (this.failures > 0) {
        this.failures--;
        return send(503, { error: 'maintenance' });
      }
      if (url.pathname.startsWith('/v1/accounts')) {
        const r = this.accounts(req.method ?? 'GET', url, chunks.length ? Buffer.concat(chunks).toString('utf8') : null);
        return send(r.status, r.body);
      }
      if (req.method !== 'GET' || url.pathname !== '/v1/customers/changes') return send(404, { error: 'not found' });
      const since = Number(url.searchParams.get('since') ?? '0');
      const limit = Math.min(Number(url.searchParams.get('limit') ?? '100'), 1000);
      const changed = [...this.data.values()].filter((d) => d.seq > since).sort((a, b) => a.seq - b.seq);
      const page = changed.slice(0, limit);
      send(200, {
        records: page.map((d) => d.record),
        nextCursor: String(page.at(-1)?.seq ?? since),
        hasMore: changed.length > limit,
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    this.release();
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Put (create or replace) a customer; it becomes the newest change. */
  put(record: BillingRecord): void {
    this.data.set(record.customerNo, { seq: ++this.seq, record });
  }

  /** Change some fields of a customer already held. */
  change(customerNo: string, patch: Partial<BillingRecord>, at: number): BillingRecord {
    const cur = this.get(customerNo);
    const next = { ...cur, ...patch, updatedAt: at };
    this.put(next);
    return next;
  }

  get(customerNo: string): BillingRecord {
    const d = this.data.get(customerNo);
    if (!d) throw new Error(`no customer ${customerNo}`);
    return d.record as BillingRecord;
  }

  /** Serve something that is not a valid record under this key (a broken upstream row). */
  putRaw(key: string, junk: unknown): void {
    this.data.set(key, { seq: ++this.seq, record: junk });
  }

  /** Answer the next `n` requests with 503. */
  failNext(n: number): void {
    this.failures = n;
  }

  /** Hold every request from now on without answering. */
  hang(): void {
    this.held ??= [];
  }

  /** Answer held requests and stop holding. */
  release(): void {
    const held = this.held;
    this.held = null;
    for (const go of held ?? []) go();
  }

  setLedger(accountNo: string, ledger: SimLedger): void {
    this.ledgers.set(accountNo, ledger);
  }

  /** The account and its customer, or null. */
  private account(accountNo: string): { rec: BillingRecord; acc: BillingRecord['accounts'][number] } | null {
    for (const d of this.data.values()) {
      const rec = d.record as BillingRecord;
      const acc = Array.isArray(rec?.accounts) ? rec.accounts.find((a) => a.accountNo === accountNo) : undefined;
      if (acc) return { rec, acc };
    }
    return null;
  }

  private accounts(method: string, url: URL, rawBody: string | null): { status: number; body: unknown } {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (method === 'GET' && parts.length === 2) {
      const phone = (url.searchParams.get('phone') ?? '').replace(/[^0-9]/g, '');
      if (!phone) return { status: 400, body: { error: 'phone is required' } };
      const hits = [...this.data.values()]
        .map((d) => d.record as BillingRecord)
        .filter((r) => Array.isArray(r?.phones) && r.phones.some((p) => p.replace(/[^0-9]/g, '').endsWith(phone.slice(-8)) && phone.length >= 7))
        .flatMap((r) => r.accounts.map((a) => ({ accountNo: a.accountNo, customerNo: r.customerNo, name: r.name, areaCode: r.address?.areaCode ?? null, address: r.address?.text ?? null })));
      return { status: 200, body: { accounts: hits } };
    }
    const found = parts[2] ? this.account(parts[2]) : null;
    if (!found) return { status: 404, body: { error: 'no such account' } };
    if (method === 'GET' && parts[3] === 'balance') {
      const l = this.ledgers.get(found.acc.accountNo) ?? { balanceCents: 0, lastPayment: null, dueAt: null };
      return {
        status: 200,
        body: {
          accountNo: found.acc.accountNo,
          customerNo: found.rec.customerNo,
          name: found.rec.name,
          areaCode: found.rec.address?.areaCode ?? null,
          balance: yuan(l.balanceCents),
          arrears: yuan(found.acc.arrearsCents),
          lastPayment: l.lastPayment ? { amount: yuan(l.lastPayment.amountCents), paidAt: rfc3339(l.lastPayment.at), channel: l.lastPayment.channel } : null,
          dueDate: l.dueAt === null ? null : rfc3339(l.dueAt).slice(0, 10),
        },
      };
    }
    if (method === 'POST' && parts[3] === 'meter-readings') {
      const body = parseBody(rawBody);
      const reading = Number(body?.reading);
      if (!body || !Number.isFinite(reading) || reading < 0 || typeof body.requestId !== 'string') return { status: 400, body: { error: 'reading and requestId required' } };
      const dup = this.meterReadings.find((m) => m.requestId === body.requestId);
      if (!dup) this.meterReadings.push({ accountNo: found.acc.accountNo, reading, requestId: body.requestId, at: this.clock.now() });
      return { status: 201, body: { accepted: true, readingId: `MR-${body.requestId}` } };
    }
    return { status: 404, body: { error: 'not found' } };
  }

  /** `n` realistic customers: 户号 0410xxxxxxxx, meters, mobiles and landlines, Zhengzhou addresses. */
  seed(n: number, at: number): BillingRecord[] {
    const out: BillingRecord[] = [];
    for (let i = 1; i <= n; i++) {
      const no = String(i).padStart(6, '0');
      const industrial = i % 10 === 0;
      const rec: BillingRecord = {
        customerNo: `C${no}`,
        name: industrial ? `郑州${GIVEN[i % GIVEN.length]}机械厂` : `${SURNAMES[i % SURNAMES.length]}${GIVEN[(i * 7) % GIVEN.length]}`,
        kind: industrial ? 'industrial' : 'residential',
        vip: false,
        criticalLoad: i % 50 === 0,
        attributes: industrial ? { monthlyKwh: 20_000 * (i % 9), voltageKv: i % 20 === 0 ? 10 : 0.4 } : { monthlyKwh: 150 + (i % 300) },
        phones: [`139${String(37_000_000 + i).padStart(8, '0')}`, ...(i % 3 === 0 ? [`0371-6${String(5_000_000 + i).slice(-7)}`] : [])],
        address: { text: `郑州市${STREETS[i % STREETS.length]}${i}号`, areaCode: AREAS[i % AREAS.length]! },
        accounts: [{ accountNo: `0410${String(i).padStart(8, '0')}`, meterNo: `1${String(i).padStart(11, '0')}`, status: 'active', arrearsCents: (i % 7) * 1000, monthlyKwh: 150 + (i % 300) }],
        updatedAt: at,
      };
      this.put(rec);
      this.ledgers.set(rec.accounts[0]!.accountNo, {
        balanceCents: (i * 13_579) % 50_000,
        lastPayment: { amountCents: 10_000 * ((i % 5) + 1), at: at - ((i % 28) + 1) * 86_400_000, channel: i % 2 ? '网上国网' : '营业厅' },
        dueAt: at + ((i % 20) + 5) * 86_400_000,
      });
      out.push(rec);
    }
    return out;
  }
}
