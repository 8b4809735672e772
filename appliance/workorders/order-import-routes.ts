/**
 * `POST /workorders/import`: bulk work-order import (order-import.ts) on the API registry. The
 * body is a CSV file (`Content-Type: text/csv`, up to 8 MiB, UTF-8 or GB18030) or JSON
 * `{ "rows": [ … ] }` in the shape of POST /workorders; the answer is the import report (every
 * bad row with row number, CSV line and failing columns); `mode` and `dryRun` decide what is
 * stored. Needs `workorders:write`; the orders are registered by the key's actor, channel `api`.
 */
import { z } from 'zod';
import type { RouteRegistry } from '../api/registry.js';
import { csvCharset, ImportQuerySchema, ImportReportSchema } from '../core/csv-import.js';
import { importOrders, ORDER_IMPORT_MAX_BYTES } from './order-import.js';
import type { RoutesAudit } from './workorder-routes.js';
import type { WorkOrderService } from './workorder-service.js';

export function registerOrderImportRoutes(registry: RouteRegistry, orders: WorkOrderService, audit: RoutesAudit): void {
  registry.route({
    method: 'post',
    path: '/workorders/import',
    summary: 'Import work orders (e.g. paper or legacy registrations) from CSV or JSON rows: every bad row reported; none or the valid ones stored',
    description:
      'CSV headers (English or Chinese): typeId/工单类型, title/标题, source/来源, priority/优先级, areaClass/区域, categoryId/分类, description/内容, customerId/客户ID, contactName/联系人, contactPhone/联系电话, address/地址, field.<key> for the type form fields.',
    tags: ['workorders'],
    scope: 'workorders:write',
    query: z.strictObject(ImportQuerySchema),
    body: z.strictObject({ rows: z.array(z.unknown()).min(1).max(5_000) }),
    rawBody: { types: ['text/csv', 'text/plain'], limitBytes: ORDER_IMPORT_MAX_BYTES },
    errors: ['VALIDATION', 'PARSE', 'PAYLOAD_TOO_LARGE'],
    response: { description: 'The import report', schema: ImportReportSchema },
    handler: async ({ query, body, raw, actor, req }) => {
      const source = raw ? { csv: raw, charset: csvCharset(query.charset, req.headers['content-type']) } : { rows: body!.rows };
      const report = importOrders(orders, source, { mode: query.mode, dryRun: query.dryRun }, { id: actor.actor, roles: [], departmentIds: [], ip: actor.ip, channel: 'api' });
      if (!report.dryRun) {
        await audit.record({
          actor: actor.actor,
          ip: actor.ip,
          action: 'workorder.import.run',
          target: null,
          after: { mode: report.mode, total: report.total, committed: report.committed, rejected: report.invalid },
        });
      }
      return report;
    },
  });
}
