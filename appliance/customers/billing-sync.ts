/**
 * Scheduled pull of customer master data from the billing system (issue 8 "Customers":
 * "scheduled sync from the billing adapter and corrections made at the hotline kept"). Every
 * `intervalMs` on the injected Clock, and on demand, it asks the BillingPort for changes since
 * the stored cursor, page by page. Each page — its records and the advanced cursor — commits in
 * one transaction, so a crash or a failing billing system never loses or double-applies a page:
 * the next run starts from the last committed cursor. A record that fails BillingRecordSchema is
 * reported (index and fields) and skipped; hotline corrections are kept over billing values
 * (CustomerService.applyBillingRecord). Runs never overlap.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import { zodIssues } from '../core/config.js';
import type { FieldIssue } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../core/log.js';
import type { BillingPort } from './billing-port.js';
import './customer-events.js';
import type { CustomerService } from './customer-service.js';
import { BillingRecordSchema } from './schemas.js';

export interface BillingSyncDeps {
  port: BillingPort;
  customers: CustomerService;
  clock: Clock;
  bus: EventBus;
  log: Logger;
  /** Between the end of one run and the start of the next; default 15 minutes. */
  intervalMs?: number;
  /** Records per request; default 500. */
  pageSize?: number;
}

export interface RejectedRecord {
  cursor: string | null;
  index: number;
  customerNo: string | null;
  issues: FieldIssue[];
}

export interface SyncReport {
  pages: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: RejectedRecord[];
  keptCorrections: number;
  confirmedCorrections: number;
  cursor: string | null;
  error: string | null;
}

export class BillingSync {
  private timer: TimerHandle | null = null;
  private running: Promise<SyncReport> | null = null;
  private stopped = true;

  constructor(private readonly deps: BillingSyncDeps) {}

  get intervalMs(): number {
    return this.deps.intervalMs ?? 15 * 60_000;
  }

  /** Schedule runs every intervalMs (the first one after intervalMs). */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Run now (or join the run in progress). */
  runOnce(): Promise<SyncReport> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      void this.runOnce().finally(() => this.schedule());
    }, this.intervalMs);
  }

  private async run(): Promise<SyncReport> {
    const { port, customers, clock, bus, log } = this.deps;
    const cs = customers.cs;
    const limit = this.deps.pageSize ?? 500;
    const state = cs.syncState(port.name);
    const report: SyncReport = {
      pages: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      rejected: [],
      keptCorrections: 0,
      confirmedCorrections: 0,
      cursor: state?.cursor ?? null,
      error: null,
    };
    const startedAt = clock.now();
    try {
      for (;;) {
        const page = await port.fetchChanges(report.cursor, limit);
        const from = report.cursor;
        cs.transaction(() => {
          page.records.forEach((raw, index) => {
            const parsed = BillingRecordSchema.safeParse(raw);
            if (!parsed.success) {
              const no = (raw as { customerNo?: unknown } | null)?.customerNo;
              report.rejected.push({ cursor: from, index, customerNo: typeof no === 'string' ? no : null, issues: zodIssues(parsed.error) });
              return;
            }
            const r = customers.applyBillingRecord(parsed.data);
            report[r.outcome]++;
            report.keptCorrections += r.keptCorrections.length;
            report.confirmedCorrections += r.confirmedCorrections.length;
          });
          cs.saveSyncState({ adapter: port.name, cursor: page.nextCursor, last_run_at: startedAt, last_ok_at: state?.last_ok_at ?? null, last_error: null });
        });
        report.cursor = page.nextCursor;
        report.pages++;
        if (!page.hasMore || page.records.length === 0) break;
      }
      cs.saveSyncState({ adapter: port.name, cursor: report.cursor, last_run_at: startedAt, last_ok_at: clock.now(), last_error: null });
      if (report.rejected.length > 0) log.warn({ rejected: report.rejected.slice(0, 20) }, 'billing records rejected');
      bus.publish('customer.sync.completed', {
        adapter: port.name,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        rejected: report.rejected.length,
        keptCorrections: report.keptCorrections,
      });
    } catch (err) {
      report.error = (err as Error).message;
      cs.saveSyncState({ adapter: port.name, cursor: report.cursor, last_run_at: startedAt, last_ok_at: state?.last_ok_at ?? null, last_error: report.error });
      log.warn({ err, adapter: port.name }, 'billing sync failed');
      bus.publish('customer.sync.failed', { adapter: port.name, error: report.error });
    }
    return report;
  }
}
