/**
 * Call events on the appliance bus (core/events.ts, by declaration merging), `domain.noun.verb-ed`:
 * webhooks, the panel's live boards and reports subscribe to them.
 */
declare module '../core/events.js' {
  interface EventMap {
    'call.leg.created': { callId: string; legId: string; tech: string; direction: 'inbound' | 'outbound'; party: string };
    'call.leg.answered': { callId: string; legId: string };
    'call.leg.ended': { callId: string; legId: string; cause: number; by: 'local' | 'remote' };
    'call.cdr.written': { callId: string; cause: number; legs: number; durationMs: number; billsecMs: number };
  }
}

export {};
