/**
 * Customer events on the bus (core/events.ts), named `domain.noun.verb-ed`; the webhook service
 * forwards them to integrators (issue 8 "API": customer events published to webhooks).
 */
declare module '../core/events.js' {
  interface EventMap {
    'customer.profile.created': { customerId: string; actor: string; source: 'hotline' | 'billing' };
    /** A correction at the hotline; `fields` as in customer_corrections.field. */
    'customer.profile.corrected': { customerId: string; actor: string; fields: string[] };
    'customer.tier.changed': { customerId: string; from: string; to: string };
    'customer.tier-rules.changed': { version: number; actor: string; changed: number };
    /** One billing sync run finished (one event per run, not per record). */
    'customer.sync.completed': { adapter: string; created: number; updated: number; unchanged: number; rejected: number; keptCorrections: number };
    'customer.sync.failed': { adapter: string; error: string };
  }
}

export {};
