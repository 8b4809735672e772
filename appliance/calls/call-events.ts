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
    /** The phone of a leg put it on hold (a=sendonly/inactive) or took it off hold. */
    'call.leg.held': { callId: string; legId: string };
    'call.leg.resumed': { callId: string; legId: string };
    /** A phone's REFER (RFC 3515) was carried out: `transferee` is now bridged with `target`. */
    'call.transfer.completed': { callId: string; kind: 'blind' | 'attended'; transferorLegId: string; transfereeLegId: string; targetLegId: string; target: string; replacedCallId: string | null };
    'call.transfer.failed': { callId: string; kind: 'blind' | 'attended'; transferorLegId: string; target: string; status: number };
  }
}

export {};
