/**
 * CDRs written behind (store/write-behind.ts): a CallStorePort whose `writeCdr` hands the
 * CDR's compiled statements to the writer thread, so the calls ending together are committed in
 * one transaction, by that thread, and the main thread — every call's signalling — never waits
 * for the fsync that synchronous=FULL makes of each COMMIT. Reading a CDR waits for what was
 * submitted before (read-your-writes). Routes pass straight through.
 */
import type { WriteBehind } from '../store/write-behind.js';
import { statementOf } from '../store/write-behind.js';
import type { Store } from '../store/database.js';
import { cdrStatements, type CallStorePort, type CdrRecord } from './call-store.js';

export class WriteBehindCdrStore implements CallStorePort {
  constructor(
    private readonly inner: CallStorePort,
    private readonly db: Store['db'],
    private readonly writer: WriteBehind,
  ) {}

  routes(): ReturnType<CallStorePort['routes']> {
    return this.inner.routes();
  }

  saveRoute(input: Parameters<CallStorePort['saveRoute']>[0]): ReturnType<CallStorePort['saveRoute']> {
    return this.inner.saveRoute(input);
  }

  writeCdr(cdr: CdrRecord): void {
    this.writer.submit({ label: `cdr ${cdr.callId}`, statements: cdrStatements(this.db, cdr).map(statementOf) });
  }

  cdr(callId: string): CdrRecord | null {
    this.writer.drainSync();
    return this.inner.cdr(callId);
  }
}
