/**
 * Active alarms: conditions an operator must see (span red alarm, disk nearly full, database
 * errors). Later issues raise and clear them; `/readyz` answers 503 while a critical one is
 * raised. Raising the same id again updates it; clearing an unknown id does nothing.
 */
import type { Clock } from '../core/clock.js';

export const AlarmSeverities = ['critical', 'major', 'minor', 'warning'] as const;
export type AlarmSeverity = (typeof AlarmSeverities)[number];

export interface Alarm {
  /** Stable id of the condition, e.g. `span.1.red`, `disk.data.full`. */
  id: string;
  severity: AlarmSeverity;
  message: string;
  /** Wall-clock ms when first raised. */
  since: number;
}

export class AlarmBoard {
  private readonly alarms = new Map<string, Alarm>();

  constructor(private readonly deps: { clock: Clock }) {}

  raise(id: string, severity: AlarmSeverity, message: string): Alarm {
    const since = this.alarms.get(id)?.since ?? this.deps.clock.now();
    const alarm = { id, severity, message, since };
    this.alarms.set(id, alarm);
    return alarm;
  }

  clear(id: string): boolean {
    return this.alarms.delete(id);
  }

  list(): Alarm[] {
    return [...this.alarms.values()].sort((a, b) => a.since - b.since || a.id.localeCompare(b.id));
  }

  critical(): Alarm[] {
    return this.list().filter((a) => a.severity === 'critical');
  }
}
