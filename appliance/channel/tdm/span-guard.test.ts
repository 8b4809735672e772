import test from 'ava';
import { EventEmitter } from 'node:events';
import { silentLogger } from '../../core/log.js';
import type { SpanAlarm, SpanStatus } from '../../../drivers/types.js';
import { isOutOfService, SpanGuard } from './span-guard.js';

class FakeSpan extends EventEmitter {
  readonly spanNo = 3;
  alarms: SpanAlarm[] = [];
  status(): SpanStatus {
    return { spanNo: 3, alarms: this.alarms, bpvCount: 0, crc4Count: 0, ebitCount: 0, fasCount: 0, slips: 0, syncSrc: 0 };
  }
  set(alarms: SpanAlarm[]): void {
    this.alarms = alarms;
    this.emit('alarm', this.status());
  }
}

test('RED/LOS clears every leg once with cause 38 and takes the span out of service; clearing brings it back', (t) => {
  const span = new FakeSpan();
  const failed: number[] = [];
  let live = 4;
  const guard = new SpanGuard(span, { failAll: (cause) => (failed.push(cause), live) }, { log: silentLogger() });
  const events: unknown[] = [];
  guard.on('service', (e) => events.push(e));
  t.true(guard.inService);
  span.set(['los']);
  span.set(['red', 'los']);
  t.false(guard.inService);
  t.deepEqual(failed, [38], 'cleared once, not on every alarm change');
  live = 0;
  span.set([]);
  t.true(guard.inService);
  t.deepEqual(events, [
    { spanNo: 3, inService: false, alarms: ['los'], cleared: 4 },
    { spanNo: 3, inService: true, alarms: [], cleared: 0 },
  ]);
  guard.close();
  span.set(['red']);
  t.deepEqual(failed, [38], 'closed: no longer listening');
});

test('YELLOW (far end cannot hear us) clears nothing; BLUE (AIS) does; a span opened in RED starts out of service', (t) => {
  t.false(isOutOfService(['yellow']));
  t.true(isOutOfService(['blue']));
  const span = new FakeSpan();
  const failed: number[] = [];
  const guard = new SpanGuard(span, { failAll: (c) => (failed.push(c), 0) }, { log: silentLogger() });
  span.set(['yellow']);
  t.true(guard.inService);
  t.deepEqual(failed, []);
  span.set(['blue']);
  t.false(guard.inService);
  t.deepEqual(failed, [38]);
  span.alarms = ['red', 'los'];
  t.false(new SpanGuard(span, { failAll: () => 0 }, { log: silentLogger() }).inService);
});
