/**
 * Customer imports (issue 8 "Bad input": "imports report each bad row and commit none or all as
 * the user chooses"): a CSV file (RFC 4180, core/csv.ts) with the utility's Chinese or the API's
 * English headers, or JSON rows in the shape of POST /customers. Every row goes through the
 * service's own `create` (the same zod schema, phone parsing and duplicate-account checks), inside
 * the one transaction of core/csv-import.ts; a bad row is reported with its row number, CSV line
 * and every failing column, named as in the file.
 *
 * CSV columns (one account, address and contact per row; several phones separated by `;`):
 *   name 客户名称/户名/姓名 (required) · kind 客户类型 (居民/非居民/工业/公共/其他 or the API value)
 *   vip 重要客户 · criticalLoad 重要负荷 · billingRef 客户编号 · notes 备注
 *   phones 电话/联系电话 · contactName 联系人 · accountNo 户号 · meterNo 表号 · monthlyKwh 月用电量
 *   address 地址/用电地址 · areaCode 区域码/台区编码 · attr.<name> a tier attribute
 */
import { cells, csvRows, jsonRows, runImport, type ImportColumn, type ImportMode, type ImportReport, type ImportRow } from '../core/csv-import.js';
import { decodeCsv, parseCsv, type CsvCharset } from '../core/csv.js';
import { EventBus, type AnyAppEvent } from '../core/events.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { CustomerService } from './customer-service.js';
import type { CustomerActor, CustomerKind } from './model.js';

/**
 * Largest CSV file accepted (bytes) and most rows per import. The import now runs on its own
 * thread (customer-import-thread.ts), so the main thread's event loop no longer waits for it;
 * the row cap stays at 5 000 because the import is still ONE write transaction: while it runs,
 * every other writer of the file (the main thread's, the write-behind thread's CDRs) waits for
 * its lock, and gives up with SQLITE_BUSY after the 5 s busy timeout (store/database.ts). 5 000
 * rows hold the lock 1.1–3.5 s (npm run bench -- imports); more rows would pass that timeout on
 * a loaded appliance.
 */
export const CUSTOMER_IMPORT_MAX_BYTES = 8 * 1024 * 1024;
export const CUSTOMER_IMPORT_MAX_ROWS = 5_000;

const KindWords: Record<string, CustomerKind> = { 居民: 'residential', 非居民: 'business', 商业: 'business', 工业: 'industrial', 公共: 'public', 其他: 'other' };
const Kinds = ['residential', 'business', 'industrial', 'public', 'other'];

type Obj = Record<string, unknown>;
const first = (t: Obj, key: string): Obj => {
  const list = (t[key] ??= [{}]) as Obj[];
  return list[0]!;
};
const bool = (key: string) => (t: Obj, cell: string): string | null => {
  const v = cells.bool(cell);
  if (typeof v === 'string') return v;
  t[key] = v;
  return null;
};
const text = (key: string) => (t: Obj, cell: string): null => {
  t[key] = cell;
  return null;
};

export const CustomerColumns: readonly ImportColumn[] = [
  { key: 'name', aliases: ['客户名称', '户名', '姓名'], required: true, set: text('name') },
  {
    key: 'kind',
    aliases: ['客户类型', '类型'],
    set: (t, cell) => {
      const k = KindWords[cell] ?? (Kinds.includes(cell) ? cell : null);
      if (!k) return `unknown kind "${cell}" (居民, 非居民, 工业, 公共, 其他)`;
      t['kind'] = k;
      return null;
    },
  },
  { key: 'vip', aliases: ['重要客户', 'VIP客户'], set: bool('vip') },
  { key: 'criticalLoad', aliases: ['重要负荷', '保电客户'], set: bool('criticalLoad') },
  { key: 'billingRef', aliases: ['客户编号', '营销编号'], set: text('billingRef') },
  { key: 'notes', aliases: ['备注'], set: text('notes') },
  {
    key: 'phones',
    aliases: ['电话', '联系电话', '手机'],
    set: (t, cell) => {
      t['phones'] = cells.list(cell).map((number) => ({ number }));
      return null;
    },
  },
  {
    key: 'contactName',
    aliases: ['联系人'],
    set: (t, cell) => {
      t['contacts'] = [{ name: cell }];
      return null;
    },
  },
  { key: 'accountNo', aliases: ['户号'], set: (t, cell) => ((first(t, 'accounts')['accountNo'] = cell), null) },
  { key: 'meterNo', aliases: ['表号'], set: (t, cell) => ((first(t, 'accounts')['meterNo'] = cell), null) },
  {
    key: 'monthlyKwh',
    aliases: ['月用电量'],
    set: (t, cell) => {
      const n = cells.number(cell);
      if (typeof n === 'string') return n;
      first(t, 'accounts')['monthlyKwh'] = n;
      return null;
    },
  },
  { key: 'address', aliases: ['地址', '用电地址'], set: (t, cell) => ((first(t, 'addresses')['text'] = cell), null) },
  { key: 'areaCode', aliases: ['区域码', '台区编码'], set: (t, cell) => ((first(t, 'addresses')['areaCode'] = cell), null) },
];

/** Service field paths → the CSV column that fed them. */
const PathColumns: Array<[RegExp, string]> = [
  [/^accounts\.0\.accountNo$/, 'accountNo'],
  [/^accounts\.0\.meterNo$/, 'meterNo'],
  [/^accounts\.0\.monthlyKwh$/, 'monthlyKwh'],
  [/^accounts(\.0)?$/, 'accountNo'],
  [/^phones\.\d+(\.number)?$/, 'phones'],
  [/^contacts\.0\.name$/, 'contactName'],
  [/^addresses\.0\.text$/, 'address'],
  [/^addresses\.0\.areaCode$/, 'areaCode'],
  [/^addresses(\.0)?$/, 'address'],
];

export interface CustomerImportDeps {
  customers: CustomerService;
  clock: Clock;
  log: Logger;
  bus: EventBus;
}

export type ImportSource = { csv: Uint8Array; charset?: CsvCharset } | { rows: readonly unknown[] };

/** Import customers from a CSV file or JSON rows; throws only for a file that cannot be read at all. */
export function importCustomers(
  deps: CustomerImportDeps,
  source: ImportSource,
  opts: { mode: ImportMode; dryRun: boolean; onRow?: (row: number) => void },
  actor: CustomerActor,
): ImportReport {
  let rows: ImportRow[];
  let fieldName = (p: string): string => p;
  if ('csv' in source) {
    const text = decodeCsv(source.csv, source.charset ?? 'utf-8');
    const mapped = csvRows(parseCsv(text, { maxRecords: CUSTOMER_IMPORT_MAX_ROWS + 1 }), {
      columns: CustomerColumns,
      prefixed: [
        {
          prefix: 'attr.',
          set: (t, name, cell) => {
            const n = cells.number(cell);
            ((t['attributes'] ??= {}) as Obj)[name] = typeof n === 'number' ? n : cell;
            return null;
          },
        },
      ],
      maxRows: CUSTOMER_IMPORT_MAX_ROWS,
    });
    rows = mapped.rows;
    fieldName = (p) => {
      for (const [re, key] of PathColumns) if (re.test(p)) return mapped.headers.get(key) ?? key;
      if (p.startsWith('attributes.')) return mapped.headers.get(`attr.${p.slice(11)}`) ?? p;
      return mapped.headers.get(p) ?? p;
    };
  } else rows = jsonRows(source.rows, CUSTOMER_IMPORT_MAX_ROWS);

  // Events are held back on a private bus and published on the real one after the commit.
  const held = new EventBus({ clock: deps.clock, log: deps.log });
  let pending: AnyAppEvent[] = [];
  held.onAny((e) => pending.push(e));
  const svc = deps.customers.withBus(held);
  const cs = deps.customers.cs;
  return runImport(rows, {
    mode: opts.mode,
    dryRun: opts.dryRun,
    tx: { transaction: (fn) => cs.transaction(fn), savepoint: (fn) => cs.transaction(fn) },
    fieldName,
    write: (value, row) => {
      opts.onRow?.(row);
      pending = [];
      const c = svc.create(value as Parameters<CustomerService['create']>[0], actor);
      const events = pending;
      return { id: c.id, after: () => events.forEach((e) => deps.bus.publish(e.type, e.payload as never)) };
    },
  });
}
