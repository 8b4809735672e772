/**
 * Which events a subscription receives. A subscription lists patterns, each one of:
 *   - an exact event name, `domain.noun.verb-ed` (core/events.ts EVENT_NAME), e.g. `queue.caller.joined`;
 *   - a prefix, `domain.*` or `domain.noun.*`, e.g. `queue.*` (every queue event, including
 *     event types added by later releases);
 *   - `*`, every event.
 * When the service is given a catalogue of known event types, an exact name must be in it (a
 * typo would otherwise silently never match); prefixes are accepted as long as they are well
 * formed, so an integrator can subscribe to a domain before its first event exists.
 * `webhook.*` events (about deliveries themselves) are never sent to webhooks, so delivering
 * them cannot feed back into more deliveries; subscribing to them is refused.
 */
import { EVENT_NAME } from '../../core/events.js';

const SEGMENT = '[a-z][a-z0-9-]*';
const PREFIX = new RegExp(`^${SEGMENT}(\\.${SEGMENT})?\\.\\*$`);

/** The domain whose events are never fanned out to webhooks. */
export const EXCLUDED_DOMAIN = 'webhook';

export function isExcludedEvent(type: string): boolean {
  return type.startsWith(`${EXCLUDED_DOMAIN}.`);
}

/** A problem with one pattern, or null when it is acceptable. */
export function eventPatternProblem(pattern: string, known: ReadonlySet<string> | null): string | null {
  if (pattern === '*') return null;
  const isPrefix = PREFIX.test(pattern);
  if (!isPrefix && !EVENT_NAME.test(pattern)) {
    return `expected an event name (domain.noun.verb-ed), a prefix (domain.* or domain.noun.*) or *, got ${JSON.stringify(pattern)}`;
  }
  if (pattern === `${EXCLUDED_DOMAIN}.*` || isExcludedEvent(pattern)) {
    return `${EXCLUDED_DOMAIN}.* events are not delivered to webhooks`;
  }
  if (!isPrefix && known !== null && !known.has(pattern)) return `unknown event type ${JSON.stringify(pattern)}`;
  return null;
}

export function patternMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** True when an event of `type` should be delivered to a subscription with these patterns. */
export function subscriptionWants(patterns: readonly string[], type: string): boolean {
  if (isExcludedEvent(type)) return false;
  return patterns.some((p) => patternMatches(p, type));
}
