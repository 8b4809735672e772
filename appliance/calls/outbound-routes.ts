/**
 * Outbound routes and the toll-fraud guards in front of them (issue 3 "Routing": "outbound
 * routes by pattern with a class of service per extension"; "SIP security": "outbound toll-fraud
 * guards ... international blocked by default ... no unauthenticated call may reach an outbound
 * route").
 *
 * A route: a number pattern (dialplan.ts syntax: `_0X.`), ordered gateway ids (gateway.ts: the
 * first available one that does not answer `congestion` takes the call), digits stripped from
 * the front and a prefix added, and the guards:
 *   - class of service: an extension's class (internal < local < national < international) must
 *     reach the route's class; `emergency` routes are open to every authenticated extension;
 *   - an optional allow-list of extension patterns;
 *   - blocked prefixes on the number sent out (default: international `00` and premium-rate
 *     information services);
 *   - concurrent calls on the route, calls per hour per extension (all outbound routes), and
 *     opening hours outside which the route refuses.
 * Every refusal is a value with its reason; call control logs it, publishes
 * `call.outbound.refused` and clears the caller with Q.850 21 CALL_REJECTED (SIP 403, RFC 3398).
 * The first enabled route (priority, then id) whose pattern matches decides: a refusal is not
 * retried on a lower-priority route.
 */
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { compilePattern, NumberPatternSchema } from './dialplan.js';

export const ClassesOfService = ['internal', 'local', 'national', 'international'] as const;
export type ClassOfService = (typeof ClassesOfService)[number];
export const RouteClasses = ['emergency', 'local', 'national', 'international'] as const;
export type RouteClass = (typeof RouteClasses)[number];

/**
 * International access (`00`) and premium-rate information services: mainland China 160/168
 * voice information services, and the NANP/European 900/1900 ranges.
 */
export const DEFAULT_BLOCKED_PREFIXES = ['00', '160', '168', '900', '1900'] as const;

export const RefusalReasons = ['unauthenticated', 'class-of-service', 'not-allowed', 'blocked-prefix', 'route-busy', 'hourly-limit', 'off-hours'] as const;
export type RefusalReason = (typeof RefusalReasons)[number];

const HHMM = z.string().regex(/^(?:[01][0-9]|2[0-3]):[0-5][0-9]$/, 'HH:MM (24 h)');

export const OpeningHoursSchema = z
  .object({
    /** Offset of local time from UTC, minutes (China: 480). */
    utcOffsetMinutes: z.number().int().min(-720).max(840).default(480),
    windows: z
      .array(
        z
          .object({
            /** 0 = Sunday … 6 = Saturday. */
            days: z.array(z.number().int().min(0).max(6)).min(1).max(7),
            from: HHMM,
            to: HHMM,
          })
          .strict()
          .refine((w) => w.from < w.to, { message: '"from" must be before "to"', path: ['to'] }),
      )
      .min(1)
      .max(14),
  })
  .strict();

export const OutboundRouteSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and "-"'),
    name: z.string().trim().min(1).max(100),
    priority: z.number().int().min(0).max(10_000).default(100),
    pattern: NumberPatternSchema,
    gateways: z.array(z.string().min(1).max(64)).min(1).max(8),
    strip: z.number().int().min(0).max(16).default(0),
    prefix: z.string().regex(/^\+?[0-9*#]{0,16}$/, 'digits').default(''),
    class: z.enum(RouteClasses).default('national'),
    /** Extension patterns allowed to use the route; empty = every extension of the class. */
    extensions: z.array(NumberPatternSchema).max(64).default([]),
    blockedPrefixes: z.array(z.string().regex(/^\+?[0-9]{1,16}$/, 'digits')).max(64).default([...DEFAULT_BLOCKED_PREFIXES]),
    /** Concurrent calls through the route (null: no limit). */
    maxConcurrent: z.number().int().min(1).max(10_000).nullable().default(null),
    /** Outbound calls per extension per rolling hour (null: no limit). */
    maxCallsPerHour: z.number().int().min(1).max(10_000).nullable().default(null),
    /** When the route may be used (null: always). */
    hours: OpeningHoursSchema.nullable().default(null),
    /** Caller number presented instead of the trunk's default (null: the trunk decides). */
    callerId: z.string().regex(/^\+?[0-9]{1,32}$/, 'digits').nullable().default(null),
    enabled: z.boolean().default(true),
  })
  .strict();

export type OutboundRoute = z.infer<typeof OutboundRouteSchema>;
export type OutboundRouteInput = z.input<typeof OutboundRouteSchema>;

const RANK: Readonly<Record<ClassOfService, number>> = { internal: 0, local: 1, national: 2, international: 3 };
const NEEDS: Readonly<Record<RouteClass, number>> = { emergency: 0, local: 1, national: 2, international: 3 };

export type OutboundDecision =
  | { kind: 'no-route' }
  | { kind: 'refused'; route: OutboundRoute | null; reason: RefusalReason; detail: string }
  | { kind: 'allowed'; route: OutboundRoute; number: string };

/** The first enabled route (lowest priority, then id) whose pattern matches `dialled`. */
export function matchOutboundRoute(routes: readonly OutboundRoute[], dialled: string): OutboundRoute | null {
  const sorted = routes.filter((r) => r.enabled).sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
  return sorted.find((r) => compilePattern(r.pattern).test(dialled)) ?? null;
}

/** The number sent to the gateway: `strip` digits removed, `prefix` added. */
export function normalise(route: Pick<OutboundRoute, 'strip' | 'prefix'>, dialled: string): string {
  return route.prefix + dialled.slice(route.strip);
}

/** True when `at` (wall ms) falls in one of the windows, in the route's local time. */
export function withinHours(hours: NonNullable<OutboundRoute['hours']>, at: number): boolean {
  const local = new Date(at + hours.utcOffsetMinutes * 60_000);
  const day = local.getUTCDay();
  const hhmm = `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
  return hours.windows.some((w) => w.days.includes(day) && hhmm >= w.from && hhmm < w.to);
}

export interface OutboundPolicyDeps {
  clock: Pick<Clock, 'now'>;
  routes: () => readonly OutboundRoute[];
  classOf: (extension: string) => ClassOfService;
}

/** A call holding a route slot; `end()` once when it is over. */
export interface RouteUse {
  end(): void;
}

const HOUR_MS = 3_600_000;

/**
 * The guards with their counters: concurrent calls per route, outbound attempts per extension
 * over the last hour (every admitted attempt counts, answered or not).
 */
export class OutboundPolicy {
  private readonly active = new Map<string, number>();
  private readonly attempts = new Map<string, number[]>();

  constructor(private readonly deps: OutboundPolicyDeps) {}

  /** Decide for an authenticated extension (null: not authenticated) dialling `dialled`. */
  decide(extension: string | null, dialled: string): OutboundDecision {
    const route = matchOutboundRoute(this.deps.routes(), dialled);
    if (!route) return { kind: 'no-route' };
    const refuse = (reason: RefusalReason, detail: string): OutboundDecision => ({ kind: 'refused', route, reason, detail });
    if (extension === null) return refuse('unauthenticated', 'only an authenticated extension may dial out');
    const cos = this.deps.classOf(extension);
    if (RANK[cos] < NEEDS[route.class] || (cos === 'internal' && route.class !== 'emergency'))
      return refuse('class-of-service', `extension class ${cos} may not use a ${route.class} route`);
    if (route.extensions.length > 0 && !route.extensions.some((p) => compilePattern(p).test(extension)))
      return refuse('not-allowed', `extension ${extension} is not on the route's list`);
    const number = normalise(route, dialled);
    const blocked = route.blockedPrefixes.find((p) => number.startsWith(p));
    if (blocked !== undefined) return refuse('blocked-prefix', `${number} starts with blocked prefix ${blocked}`);
    const now = this.deps.clock.now();
    if (route.class !== 'emergency') {
      if (route.hours && !withinHours(route.hours, now)) return refuse('off-hours', 'outside the route’s opening hours');
      if (route.maxCallsPerHour !== null) {
        const recent = this.recent(extension, now);
        if (recent.length >= route.maxCallsPerHour) return refuse('hourly-limit', `${recent.length} calls in the last hour (limit ${route.maxCallsPerHour})`);
      }
    }
    if (route.maxConcurrent !== null && (this.active.get(route.id) ?? 0) >= route.maxConcurrent)
      return refuse('route-busy', `${route.maxConcurrent} concurrent calls on the route`);
    return { kind: 'allowed', route, number };
  }

  /** Count an admitted call: a route slot until `end()`, and one attempt in the extension's hour. */
  begin(route: OutboundRoute, extension: string): RouteUse {
    this.active.set(route.id, (this.active.get(route.id) ?? 0) + 1);
    const now = this.deps.clock.now();
    this.attempts.set(extension, [...this.recent(extension, now), now]);
    let open = true;
    return {
      end: () => {
        if (!open) return;
        open = false;
        const n = (this.active.get(route.id) ?? 1) - 1;
        if (n <= 0) this.active.delete(route.id);
        else this.active.set(route.id, n);
      },
    };
  }

  activeOn(routeId: string): number {
    return this.active.get(routeId) ?? 0;
  }

  private recent(extension: string, now: number): number[] {
    const list = (this.attempts.get(extension) ?? []).filter((t) => now - t < HOUR_MS);
    if (list.length === 0) this.attempts.delete(extension);
    else this.attempts.set(extension, list);
    return list;
  }
}
