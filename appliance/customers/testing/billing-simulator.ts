/**
 * A billing system (营销系统) for tests and demos: a real HTTP server with its own customer data
 * and change log, speaking the protocol of billing-port.ts. Changing a customer appends to the
 * change log (a sequence number), so `GET /v1/customers/changes?since=` returns what changed
 * since a cursor, in order, paged. It checks the bearer token, can be told to fail the next N
 * requests (503) and can serve a malformed record, as real upstream systems do.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BillingRecord } from '../schemas.js';

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭'];
const GIVEN = ['伟', '芳', '娜', '秀英', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛'];
const STREETS = ['金水路', '花园路', '农业路', '文化路', '经三路', '纬五路', '中原路', '建设路'];
/** Zhengzhou districts (GB/T 2260) with a supply-station suffix. */
const AREAS = ['41010201', '41010202', '41010301', '41010501', '41010502', '41012201'];

export interface SimulatorOptions {
  token?: string;
}

export class BillingSimulator {
  readonly token: string;
  private server: Server | null = null;
  private seq = 0;
  /** customerNo → [seq of last change, record or raw junk]. */
  private readonly data = new Map<string, { seq: number; record: unknown }>();
  private failures = 0;
  requests = 0;

  constructor(opts: SimulatorOptions = {}) {
    this.token = opts.token ?? 'sim-token';
  }

  get url(): string {
    if (!this.server) throw new Error('simulator not started');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.requests++;
      const url = new URL(req.url ?? '/', 'http://sim');
      const send = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.headers.authorization !== `Bearer ${this.token}`) return send(401, { error: 'unauthorized' });
      if (this.failures > 0) {
        this.failures--;
        return send(503, { error: 'maintenance' });
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
      out.push(rec);
    }
    return out;
  }
}
