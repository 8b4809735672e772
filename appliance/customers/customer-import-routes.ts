/**
 * `POST /customers/import`: bulk customer import (customer-import.ts) on the API registry. The
 * body is a CSV file (`Content-Type: text/csv`, RFC 4180 / RFC 7111, up to 8 MiB, UTF-8 or
 * `charset=gb18030`) or JSON `{ "rows": [ … ] }` in the shape of POST /customers. The answer is
 * the import report: every bad row with its row number, CSV line and failing columns; what was
 * stored depends on `mode` (all-or-nothing | valid-only) and `dryRun`. A file that cannot be read
 * at all (wrong encoding, no header line, unknown columns, too large) is a 400/413 naming why.
 * Needs `customers:write`; audited with the counts. The import itself runs on a thread of its
 * own (customer-import-thread.ts), one at a time: a second while one runs is a 409 naming it.
 */
import { z } from 'zod';
import type { RouteRegistry } from '../api/registry.js';
import { csvCharset, ImportQuerySchema, ImportReportSchema } from '../core/csv-import.js';
import { ImportGate } from '../core/import-gate.js';
import { CUSTOMER_IMPORT_MAX_BYTES, CUSTOMER_IMPORT_MAX_ROWS, type CustomerImportDeps } from './customer-import.js';
import { importCustomersOffThread, type CustomerImportThreadOptions } from './customer-import-thread.js';
import type { RoutesAudit } from './customer-routes.js';

export function registerCustomerImportRoutes(
  registry: RouteRegistry,
  deps: CustomerImportDeps,
  audit: RoutesAudit,
  thread: Partial<CustomerImportThreadOptions> = {},
): void {
  const threadOpts: CustomerImportThreadOptions = { ...thread, gate: thread.gate ?? new ImportGate(deps.clock) };
  registry.route({
    method: 'post',
    path: '/customers/import',
    summary: 'Import customers from CSV or JSON rows: every bad row reported; none or the valid ones stored',
    description:
      'CSV headers (English or Chinese): name/客户名称, kind/客户类型, vip/重要客户, criticalLoad/重要负荷, billingRef/客户编号, notes/备注, phones/电话 (several separated by ;), contactName/联系人, accountNo/户号, meterNo/表号, monthlyKwh/月用电量, address/地址, areaCode/区域码, attr.<name>.',
    tags: ['customers'],
    scope: 'customers:write',
    query: z.strictObject(ImportQuerySchema),
    body: z.strictObject({ rows: z.array(z.unknown()).min(1).max(CUSTOMER_IMPORT_MAX_ROWS) }),
    rawBody: { types: ['text/csv', 'text/plain'], limitBytes: CUSTOMER_IMPORT_MAX_BYTES },
    errors: ['VALIDATION', 'PARSE', 'PAYLOAD_TOO_LARGE', 'CONFLICT'],
    response: { description: 'The import report', schema: ImportReportSchema },
    handler: async ({ query, body, raw, actor, req }) => {
      const source = raw ? { csv: raw, charset: csvCharset(query.charset, req.headers['content-type']) } : { rows: body!.rows };
      const report = await importCustomersOffThread(deps, source, { mode: query.mode, dryRun: query.dryRun }, { id: actor.actor, ip: actor.ip }, threadOpts);
      if (!report.dryRun) {
        await audit.record({
          actor: actor.actor,
          ip: actor.ip,
          action: 'customer.import.run',
          target: null,
          after: { mode: report.mode, dryRun: report.dryRun, total: report.total, committed: report.committed, rejected: report.invalid },
        });
      }
      return report;
    },
  });
}
