/**
 * REGISTER processing on an AOR's bindings, RFC 3261 §10.3 steps 6–8, as a pure function of the
 * current bindings and the request (no I/O, no timers: registrar.ts persists, schedules and
 * publishes what it returns):
 *   step 6 "If the request contains a Contact header field with the value '*' ... If the request
 *     has additional Contact fields or an expiration time other than zero, the request is invalid,
 *     and the server MUST return a 400 (Invalid Request)" — otherwise every binding goes, subject
 *     to the Call-ID/CSeq rule.
 *   step 7 expiration: "the value of the 'expires' parameter or, if none, the value of the Expires
 *     header field ... If neither ... the registrar assigns a locally-configured default value";
 *     "the registrar MAY reject the registration with a response of 423 (Interval Too Brief)"
 *     when it is non-zero and below the minimum; "The registrar MAY shorten the expiration".
 *   step 7 ordering: "If the Call-ID value in the existing binding differs from the Call-ID
 *     value in the request, the binding MUST be removed if the expiration time is zero and
 *     updated otherwise. If they are the same, the registrar compares the CSeq value. If the
 *     value is higher than that of the existing binding, it MUST update or remove the binding as
 *     above. If not, the update MUST be aborted and the request fails."
 *   "The binding updates MUST be committed (that is, made visible to the proxy or redirect
 *     server) if and only if all binding updates and additions succeed."
 * Contacts are compared by URI (§19.1.4: scheme, user, host case-insensitively, port and the
 * transport/user/maddr parameters), so a refresh with re-ordered parameters is the same binding.
 * Past an AOR's contact limit the oldest bindings make room (a phone that rebooted onto a new
 * port must not be locked out by its own stale binding).
 */
import { isSipUri, serializeContact, type Contact, type Uri } from '../message/index.js';
import type { TransportProtocol } from '../transport/index.js';

export interface BindingSource {
  protocol: TransportProtocol;
  host: string;
  port: number;
  connectionId: string | null;
}

export interface Binding {
  aor: string;
  contactKey: string;
  /** The Contact value as sent (with the expires param removed). */
  contact: string;
  callId: string;
  cseq: number;
  q: number | null;
  expiresAt: number;
  registeredAt: number;
  /** Where the REGISTER came from: requests to this contact go here (NAT, RFC 5626-style flow reuse). */
  source: BindingSource;
  userAgent: string | null;
}

/** Persistence port (sip-store.ts). */
export interface BindingStore {
  loadBindings(): Binding[];
  writeBindings(upserts: readonly Binding[], deletes: ReadonlyArray<{ aor: string; contactKey: string }>): void;
}

export interface RegistrarPolicy {
  /** Seconds; non-zero requests below this get 423 with Min-Expires. */
  minExpires: number;
  /** Seconds; longer requests are shortened to this. */
  maxExpires: number;
  /** Seconds; when neither the contact nor the Expires header says. */
  defaultExpires: number;
}

export const REGISTRAR_DEFAULTS: RegistrarPolicy = { minExpires: 60, maxExpires: 3600, defaultExpires: 3600 };

export interface RegisterInput {
  aor: string;
  callId: string;
  cseq: number;
  now: number;
  /** '*' for the wildcard; an empty list is a query (§10.3 step 8). */
  contacts: readonly Contact[] | '*';
  expiresHeader: number | null;
  source: BindingSource;
  userAgent: string | null;
  maxContacts: number;
}

export type RegisterOutcome =
  | { kind: 'ok'; created: Binding[]; refreshed: Binding[]; removed: Array<{ binding: Binding; why: 'unregistered' | 'replaced' }>; current: Binding[] }
  | { kind: 'interval-too-brief'; minExpires: number }
  | { kind: 'invalid-wildcard' }
  | { kind: 'out-of-order' };

/** The §19.1.4 identity of a contact URI. */
export function contactKey(uri: Uri): string {
  if (!isSipUri(uri)) return JSON.stringify(uri).toLowerCase();
  const p = (name: string): string => (uri.params.get(name) ?? '').toLowerCase();
  return `${uri.scheme}:${uri.user ?? ''}@${uri.host.toLowerCase()}:${uri.port ?? ''};transport=${p('transport')};user=${p('user')};maddr=${p('maddr')}`;
}

/** §10.3 step 6–7 for one REGISTER against `existing` (the AOR's bindings). */
export function applyRegister(existing: readonly Binding[], input: RegisterInput, policy: RegistrarPolicy): RegisterOutcome {
  const byKey = new Map(existing.map((b) => [b.contactKey, b]));
  // Ordering rule shared by every change to an existing binding.
  const ordered = (b: Binding): boolean => b.callId !== input.callId || input.cseq > b.cseq;

  if (input.contacts === '*') {
    if (input.expiresHeader !== 0) return { kind: 'invalid-wildcard' };
    if (!existing.every(ordered)) return { kind: 'out-of-order' };
    return { kind: 'ok', created: [], refreshed: [], removed: existing.map((binding) => ({ binding, why: 'unregistered' as const })), current: [] };
  }

  const created: Binding[] = [];
  const refreshed: Binding[] = [];
  const removed: Array<{ binding: Binding; why: 'unregistered' | 'replaced' }> = [];
  const next = new Map(byKey);
  for (const c of input.contacts) {
    const requested = c.expires ?? input.expiresHeader ?? policy.defaultExpires;
    // §10.3 step 7: 423 only "if the requested expiration interval is greater than zero AND smaller than one hour AND less than a
    // registrar-configured minimum".
    if (requested > 0 && requested < 3600 && requested < policy.minExpires) return { kind: 'interval-too-brief', minExpires: policy.minExpires };
    const expires = Math.min(requested, policy.maxExpires);
    const key = contactKey(c.uri);
    const old = next.get(key);
    if (old && !ordered(old)) return { kind: 'out-of-order' };
    if (expires === 0) {
      if (old) {
        next.delete(key);
        if (byKey.has(key)) removed.push({ binding: old, why: 'unregistered' });
        else created.splice(created.indexOf(old), 1);
      }
      continue;
    }
    const shown = c.clone();
    shown.params.delete('expires');
    const b: Binding = {
      aor: input.aor,
      contactKey: key,
      contact: serializeContact(shown),
      callId: input.callId,
      cseq: input.cseq,
      q: c.q,
      expiresAt: input.now + expires * 1000,
      registeredAt: old?.registeredAt ?? input.now,
      source: input.source,
      userAgent: input.userAgent,
    };
    next.set(key, b);
    if (byKey.has(key)) {
      const i = refreshed.findIndex((x) => x.contactKey === key);
      if (i >= 0) refreshed[i] = b;
      else refreshed.push(b);
    } else {
      const i = created.findIndex((x) => x.contactKey === key);
      if (i >= 0) created[i] = b;
      else created.push(b);
    }
  }
  // Over the limit: the least recently registered bindings not touched by this request make room.
  const overflow = next.size - input.maxContacts;
  if (overflow > 0) {
    const touched = new Set([...created, ...refreshed].map((b) => b.contactKey));
    const victims = [...next.values()].filter((b) => !touched.has(b.contactKey)).sort((a, b) => a.registeredAt - b.registeredAt).slice(0, overflow);
    for (const v of victims) {
      next.delete(v.contactKey);
      removed.push({ binding: v, why: 'replaced' });
    }
    if (next.size > input.maxContacts) {
      // The request itself carries more contacts than allowed: keep the first ones it listed.
      const drop = created.splice(Math.max(0, created.length - (next.size - input.maxContacts)));
      for (const d of drop) next.delete(d.contactKey);
    }
  }
  return { kind: 'ok', created, refreshed, removed, current: [...next.values()] };
}
