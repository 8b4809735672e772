/**
 * Work-order imports (issue 8 "Bad input": "imports report each bad row and commit none or all as
 * the user chooses"), e.g. orders registered on paper or in an older system: a CSV file (RFC
 * 4180, core/csv.ts) or JSON rows in the shape of POST /workorders. Every row goes through the
 * service's own create path (CreateOrderSchema, the type's form validation, category check) via
 * `prepareImport`, inside the one transaction of core/csv-import.ts; bus events and SLA wake-ups
 * follow the commit. A bad row is reported with its row number, CSV line and every failing
 * column, named as in the file.
 *
 * CSV columns: typeId 工单类型 (id or name, required) · title 标题 (required) · source 来源 (来电,
 * 来信, 来访, 网站, 传真, 留言, 短信, 邮件, 接口 or the API value; required) · priority 优先级 (低, 普通,
 * 高, 紧急) · areaClass 区域 (城区, 农村, 偏远) · categoryId 分类 · description 内容 · customerId 客户ID ·
 * contactName 联系人 · contactPhone 联系电话 · address 地址 · field.<key> a field of the type's
 * form, converted by the form's field type (numbers, 是/否, several values separated by `;`).
 */
import { cells, csvRows, jsonRows, runImport, type ImportColumn, type ImportMode, type ImportReport, type ImportRow } from '../core/csv-import.js';
import { decodeCsv, parseCsv, type CsvCharset } from '../core/csv.js';
import { ValidationError, type FieldIssue } from '../core/errors.js';
import { compileForm, zodIssues, type FieldDefinition } from './forms.js';
import { AreaClasses, OrderSources, Priorities, type Actor } from './model.js';
import { CreateOrderSchema, type CreateOrderInput } from './schemas.js';
import type { WorkOrderService } from './workorder-service.js';

export const ORDER_IMPORT_MAX_BYTES = 8 * 1024 * 1024;
export const ORDER_IMPORT_MAX_ROWS = 5_000;

type Obj = Record<string, unknown>;

const SourceWords: Record<string, string> = { 来电: 'call', 留言: 'voicemail', 传真: 'fax', 网站: 'web', 来信: 'letter', 来访: 'visit', 接口: 'api', 短信: 'sms', 邮件: 'email' };
const PriorityWords: Record<string, string> = { 低: 'low', 普通: 'normal', 一般: 'normal', 高: 'high', 紧急: 'urgent' };
const AreaWords: Record<string, string> = { 城区: 'urban', 市区: 'urban', 农村: 'rural', 偏远: 'remote' };

const text = (key: string) => (t: Obj, cell: string): null => {
  t[key] = cell;
  return null;
};
const word = (key: string, words: Record<string, string>, values: readonly string[]) => (t: Obj, cell: string): string | null => {
  const v = words[cell] ?? (values.includes(cell) ? cell : null);
  if (!v) return `unknown value "${cell}" (${[...Object.keys(words), ...values].join(', ')})`;
  t[key] = v;
  return null;
};

export const OrderColumns: readonly ImportColumn[] = [
  { key: 'typeId', aliases: ['工单类型', '类型'], required: true, set: text('typeId') },
  { key: 'title', aliases: ['标题'], required: true, set: text('title') },
  { key: 'source', aliases: ['来源'], required: true, set: word('source', SourceWords, OrderSources) },
  { key: 'priority', aliases: ['优先级'], set: word('priority', PriorityWords, Priorities) },
  { key: 'areaClass', aliases: ['区域', '区域类别'], set: word('areaClass', AreaWords, AreaClasses) },
  { key: 'categoryId', aliases: ['分类'], set: text('categoryId') },
  { key: 'description', aliases: ['内容', '描述', '诉求内容'], set: text('description') },
  { key: 'customerId', aliases: ['客户ID'], set: text('customerId') },
  { key: 'contactName', aliases: ['联系人'], set: text('contactName') },
  { key: 'contactPhone', aliases: ['联系电话'], set: text('contactPhone') },
  { key: 'address', aliases: ['地址'], set: text('address') },
];

/** A CSV cell of a form field, converted by the field's type; the text itself when it does not convert (the form then names it). */
function formValue(f: FieldDefinition | undefined, cell: string): unknown {
  switch (f?.type) {
    case 'number':
    case 'integer': {
      const n = cells.number(cell);
      return typeof n === 'number' ? n : cell;
    }
    case 'boolean': {
      const b = cells.bool(cell);
      return typeof b === 'boolean' ? b : cell;
    }
    case 'multiselect':
      return cells.list(cell);
    default:
      return cell;
  }
}

export type OrderImportSource = { csv: Uint8Array; charset?: CsvCharset } | { rows: readonly unknown[] };

export function importOrders(orders: WorkOrderService, source: OrderImportSource, opts: { mode: ImportMode; dryRun: boolean }, actor: Actor): ImportReport {
  let rows: ImportRow[];
  let fieldName = (p: string): string => p;
  const fromCsv = 'csv' in source;
  if (fromCsv) {
    const textIn = decodeCsv(source.csv, source.charset ?? 'utf-8');
    const mapped = csvRows(parseCsv(textIn, { maxRecords: ORDER_IMPORT_MAX_ROWS + 1 }), {
      columns: OrderColumns,
      prefixed: [{ prefix: 'field.', set: (t, name, cell) => ((((t['fields'] ??= {}) as Obj)[name] = cell), null) }],
      maxRows: ORDER_IMPORT_MAX_ROWS,
    });
    rows = mapped.rows;
    fieldName = (p) => {
      if (p.startsWith('fields.')) return mapped.headers.get(`field.${p.slice(7).split('.')[0]!}`) ?? p;
      return mapped.headers.get(p.split('.')[0]!) ?? p;
    };
  } else rows = jsonRows(source.rows, ORDER_IMPORT_MAX_ROWS);

  const types = orders.listTypes();
  const byName = new Map(types.map((t) => [t.name, t.id]));
  const forms = new Map<string, (v: unknown) => Record<string, unknown>>();
  return runImport(rows, {
    mode: opts.mode,
    dryRun: opts.dryRun,
    tx: { transaction: (fn) => orders.ws.transaction(fn), savepoint: (fn) => orders.ws.transaction(fn) },
    fieldName,
    write: (value) => {
      const input = { ...value } as Obj;
      if (fromCsv) {
        const typeId = byName.get(String(input['typeId'])) ?? input['typeId'];
        input['typeId'] = typeId;
        const form = types.find((t) => t.id === typeId)?.form;
        if (input['fields']) {
          const fields = input['fields'] as Record<string, string>;
          input['fields'] = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, formValue(form?.fields.find((f) => f.key === k), v)]));
        }
      }
      // The service stops at the first failing stage; a report names every failing field.
      const issues: FieldIssue[] = [];
      const parsed = CreateOrderSchema.safeParse(input);
      if (!parsed.success) issues.push(...zodIssues(parsed.error));
      const type = types.find((t) => t.id === input['typeId']);
      if (type && !parsed.success) {
        let check = forms.get(type.id);
        if (!check) forms.set(type.id, (check = compileForm(type.form)));
        try {
          check(input['fields']);
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          issues.push(...err.issues);
        }
      }
      if (issues.length > 0) throw new ValidationError('invalid work order', issues);
      const r = orders.prepareImport(input as CreateOrderInput, actor)();
      return { id: r.value.id, after: r.after };
    },
  });
}
