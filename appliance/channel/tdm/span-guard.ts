/**
 * Span alarm supervision for the TDM legs of one span (issue 5 "cable pull → RED alarm, active
 * calls released with the right cause, new calls for that route go to the configured
 * fallback"). ITU-T G.775 / G.732 define the conditions the framer reports (dahdi/user.h
 * DAHDI_ALARM_*):
 *
 *  - RED (loss of signal or of frame alignment at our end), LOS, and BLUE (AIS, "all ones" from
 *    the far end: the line behind it is broken) mean no bearer can carry speech: every live leg
 *    on the span ends at once with Q.850 cause 38, "network out of order" (Q.850 Table 1: "the
 *    network is not functioning correctly and … the condition is likely to last a relatively
 *    long period of time"), and the span takes no new calls until the alarm clears.
 *  - YELLOW (RAI: the far end cannot hear us) is reported but clears nothing: the far end's own
 *    RED supervision decides about its calls, and ours still hear them.
 *
 * The guard is also what says whether the span is usable for a new call (`inService`), which
 * the TDM gateway (calls/tdm-gateway.ts) asks before trying the span.
 */
import type { Logger } from '../../core/log.js';
import type { SpanAlarm, SpanStatus } from '../../../drivers/types.js';
import { HangupCauses } from '../q850.js';

/** What the guard needs of a span (drivers/types.ts Span fits). */
export interface AlarmSource {
  readonly spanNo: number;
  status(): SpanStatus;
  on(event: 'alarm', fn: (status: SpanStatus) => void): unknown;
  off(event: 'alarm', fn: (status: SpanStatus) => void): unknown;
}

/** What the guard clears (TdmSpanLegs fits). */
export interface FailableLegs {
  failAll(cause: number): number;
}

/** Alarms under which the span carries no call. */
export const OUT_OF_SERVICE_ALARMS: readonly SpanAlarm[] = ['red', 'blue', 'los'];

export interface SpanGuardEvents {
  /** The span went out of service (`alarms` non-empty, `cleared` legs ended) or back in (`alarms` empty). */
  service: { readonly spanNo: number; readonly inService: boolean; readonly alarms: readonly SpanAlarm[]; readonly cleared: number };
}

export class SpanGuard {
  private out: boolean;
  private readonly log: Logger;
  private readonly listeners = new Set<(e: SpanGuardEvents['service']) => void>();
  private readonly onAlarm = (s: SpanStatus): void => this.update(s);

  constructor(
    private readonly span: AlarmSource,
    private readonly legs: FailableLegs,
    deps: { log: Logger },
  ) {
    this.log = deps.log.child({ mod: 'channel.tdm.guard', spanNo: span.spanNo });
    this.out = isOutOfService(span.status().alarms);
    span.on('alarm', this.onAlarm);
  }

  /** Whether the span can carry a call now (no RED/BLUE/LOS). */
  get inService(): boolean {
    return !this.out;
  }

  on(_event: 'service', fn: (e: SpanGuardEvents['service']) => void): this {
    this.listeners.add(fn);
    return this;
  }

  off(_event: 'service', fn: (e: SpanGuardEvents['service']) => void): this {
    this.listeners.delete(fn);
    return this;
  }

  close(): void {
    this.span.off('alarm', this.onAlarm);
    this.listeners.clear();
  }

  private update(s: SpanStatus): void {
    const out = isOutOfService(s.alarms);
    if (out === this.out) return;
    this.out = out;
    const cleared = out ? this.legs.failAll(HangupCauses.NETWORK_OUT_OF_ORDER) : 0;
    if (out) this.log.warn({ alarms: s.alarms, cleared }, 'span out of service: calls cleared with cause 38');
    else this.log.info('span back in service');
    const e = { spanNo: this.span.spanNo, inService: !out, alarms: s.alarms, cleared };
    for (const fn of [...this.listeners]) fn(e);
  }
}

export function isOutOfService(alarms: readonly SpanAlarm[]): boolean {
  return alarms.some((a) => OUT_OF_SERVICE_ALARMS.includes(a));
}
