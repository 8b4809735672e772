/**
 * Outbound registration to a carrier (RFC 3261 §10.2, the UAC side of REGISTER), one client per
 * registering trunk, every timer on the injected Clock. A transition table guards the states:
 *
 *   idle ──start──▶ registering ──200──▶ registered ──refresh timer──▶ registering
 *                       │  ▲ 401/407 (once per attempt) / 423
 *                       ▼  │
 *                     backoff ──retry timer──▶ registering          any ──stop──▶ stopped
 *
 *   §10.2:   "the Call-ID ... SHOULD be the same in each registration from a UA" and "The CSeq
 *            value guarantees proper ordering of REGISTER requests. A UA MUST increment the
 *            CSeq value by one for each REGISTER request with the same Call-ID".
 *   §10.2.1: the registrar's 200 lists the bindings with their granted expiry; ours is the
 *            Contact matching what we sent (else the Expires header, else what we asked).
 *   §10.2.4: "Each UA is responsible for refreshing the bindings that it has previously
 *            established" — we refresh at 90 % of the granted time (at least 5 s before it ends).
 *   §22.2:   a 401/407 is answered once with Digest credentials (client-digest.ts); a second
 *            challenge that is not `stale=true` means the credentials are wrong.
 *   §10.3 / §21.4.17 423 Interval Too Brief: "the registrar MUST include a Min-Expires header";
 *            we ask again at once with that value.
 *   RFC 5626 §4.5 back-off after failures: "wait-time = min(max-time, (base-time * (2 ^
 *            consecutive-failures)))", base-time 30 s, max-time 1800 s, and "the UA waits an
 *            amount of time randomly selected between 50 and 100% of the wait-time".
 * Every change of `registered` is reported to `onChange` (the trunk turns it into up/down events).
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { InvalidTransitionError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { NextHop } from '../dialog/dialog.js';
import { Headers, NameAddr, SipRequest, serializeUri, sipUri, type SipResponse, type SipUri } from '../message/index.js';
import { newTag } from '../transaction/index.js';
import { credentialsFor, pickChallenge } from './client-digest.js';
import type { SipRequester } from './requester.js';

export const RegistrationStates = ['idle', 'registering', 'registered', 'backoff', 'stopped'] as const;
export type RegistrationState = (typeof RegistrationStates)[number];

const NEXT: Readonly<Record<RegistrationState, readonly RegistrationState[]>> = {
  idle: ['registering', 'stopped'],
  registering: ['registered', 'backoff', 'stopped'],
  registered: ['registering', 'stopped'],
  backoff: ['registering', 'stopped'],
  stopped: [],
};

export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_MAX_MS = 1_800_000;

export interface RegistrationOptions {
  clock: Clock;
  log: Logger;
  requester: SipRequester;
  /** Where REGISTERs go. */
  hop: NextHop;
  /** Registrar domain (Request-URI host and AOR host). */
  domain: string;
  /** Request-URI port (null: none, the domain's default). */
  port: number | null;
  username: string;
  authUser: string | null;
  password: string;
  expires: number;
  /** 0..1, for the RFC 5626 random factor (tests pass () => 1). */
  random?: () => number;
  onChange?: (registered: boolean, reason: string) => void;
}

export type RegistrationFailure = 'timeout' | 'auth-rejected' | 'no-credentials-accepted' | 'refused';

export class RegistrationClient {
  private current: RegistrationState = 'idle';
  private readonly callId = `${newTag()}${newTag()}@trunk`;
  private readonly fromTag = newTag();
  private cseq = 1;
  private expires: number;
  private failures = 0;
  private timer: TimerHandle | null = null;
  private nc = 0;
  private lastNonce: string | null = null;
  /** Wall-clock ms when the current binding ends (registered only). */
  expiresAt: number | null = null;
  lastFailure: { reason: RegistrationFailure; status: number | null } | null = null;
  private readonly log: Logger;

  constructor(private readonly o: RegistrationOptions) {
    this.expires = o.expires;
    this.log = o.log.child({ mod: 'sip.trunk.register', domain: o.domain, user: o.username });
  }

  get state(): RegistrationState {
    return this.current;
  }

  /** A binding is live (registered, or refreshing one that is). */
  get registered(): boolean {
    return this.expiresAt !== null;
  }

  /** Consecutive failed attempts since the last success. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  start(): void {
    if (this.current !== 'idle') return;
    this.run();
  }

  /** Stop: cancel timers; a live binding is removed with Expires: 0 (§10.2.2), best effort. */
  async stop(): Promise<void> {
    if (this.current === 'stopped') return;
    const wasRegistered = this.expiresAt !== null;
    this.expiresAt = null;
    this.timer?.cancel();
    this.timer = null;
    this.move('stopped');
    if (wasRegistered) {
      this.o.onChange?.(false, 'stopped');
      await this.o.requester.send(this.request(0, []), this.o.hop);
    }
  }

  private move(to: RegistrationState): void {
    if (!NEXT[this.current].includes(to)) throw new InvalidTransitionError('trunk registration', this.current, to);
    this.current = to;
  }

  private request(expires: number, headers: ReadonlyArray<[string, string]>): SipRequest {
    const aor = sipUri({ user: this.o.username, host: this.o.domain });
    const h = new Headers();
    h.append('Max-Forwards', 70);
    h.appendTyped('from', new NameAddr(aor, null, new Map([['tag', this.fromTag]])));
    h.appendTyped('to', new NameAddr(sipUri({ user: this.o.username, host: this.o.domain })));
    h.append('Call-ID', this.callId);
    h.appendTyped('cseq', { seq: this.cseq++, method: 'REGISTER' });
    h.appendTyped('contact', this.o.requester.contact(this.o.username, this.o.hop.protocol));
    h.append('Expires', expires);
    for (const [k, v] of headers) h.append(k, v);
    return new SipRequest('REGISTER', this.registrarUri(), h);
  }

  private registrarUri(): SipUri {
    return sipUri({ host: this.o.domain, ...(this.o.port === null ? {} : { port: this.o.port }) });
  }

  /** One attempt; a failure to even build or send the request counts as a refused attempt. */
  private run(): void {
    this.attempt().catch((err: unknown) => {
      this.log.error({ err: (err as Error).message }, 'trunk registration attempt failed');
      if (this.current === 'registering') this.fail('refused', null);
    });
  }

  private async attempt(): Promise<void> {
    this.timer = null;
    this.move('registering');
    let headers: Array<[string, string]> = [];
    let challenged = 0;
    let briefRetried = false;
    for (;;) {
      const res = await this.o.requester.send(this.request(this.expires, headers), this.o.hop);
      if (this.current !== 'registering') return;
      if (!res) return this.fail('timeout', null);
      if (res.status >= 200 && res.status < 300) return this.succeed(res);
      if (res.status === 401 || res.status === 407) {
        const picked = pickChallenge(res);
        if (!picked) return this.fail('no-credentials-accepted', res.status);
        if (challenged > 0 && !picked.challenge.stale) return this.fail('auth-rejected', res.status);
        challenged++;
        if (picked.challenge.nonce !== this.lastNonce) {
          this.lastNonce = picked.challenge.nonce;
          this.nc = 0;
        }
        const value = credentialsFor(picked, {
          username: this.o.authUser ?? this.o.username,
          password: this.o.password,
          method: 'REGISTER',
          uri: serializeUri(this.registrarUri()),
          nc: ++this.nc,
        });
        headers = [[picked.header, value]];
        continue;
      }
      if (res.status === 423 && !briefRetried) {
        const min = Number(res.headers.get('min-expires'));
        if (Number.isInteger(min) && min > this.expires) {
          briefRetried = true;
          this.expires = min;
          continue;
        }
      }
      return this.fail('refused', res.status);
    }
  }

  private succeed(res: SipResponse): void {
    const granted = this.grantedSeconds(res);
    const wasRegistered = this.expiresAt !== null;
    this.move('registered');
    this.failures = 0;
    this.lastFailure = null;
    this.expiresAt = this.o.clock.now() + granted * 1000;
    const refreshMs = Math.max(1000, Math.min(granted * 900, granted * 1000 - 5000));
    this.timer = this.o.clock.setTimeout(() => this.run(), refreshMs);
    this.log.info({ granted, refreshMs }, 'trunk registered');
    if (!wasRegistered) this.o.onChange?.(true, 'registered');
  }

  private fail(reason: RegistrationFailure, status: number | null): void {
    const wasRegistered = this.expiresAt !== null;
    this.move('backoff');
    this.expiresAt = null;
    this.lastFailure = { reason, status };
    const wait = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.failures);
    this.failures++;
    const random = this.o.random ?? Math.random;
    const delay = Math.round(wait * (0.5 + 0.5 * Math.min(1, Math.max(0, random()))));
    this.timer = this.o.clock.setTimeout(() => this.run(), delay);
    this.log.warn({ reason, status, retryInMs: delay, failures: this.failures }, 'trunk registration failed');
    if (wasRegistered || this.failures === 1) this.o.onChange?.(false, status === null ? reason : `${reason} (${status})`);
  }

  /** §10.2.1: our Contact's expires in the 200, else Expires, else what we asked. */
  private grantedSeconds(res: SipResponse): number {
    const ours = this.o.requester.contact(this.o.username, this.o.hop.protocol).uri as SipUri;
    let fromHeader: number | null = null;
    try {
      for (const c of res.contactAddresses()) {
        const u = c.uri;
        if ('host' in u && u.user === ours.user && u.host === ours.host && (u.port ?? 5060) === (ours.port ?? 5060) && c.expires !== null) return Math.max(1, c.expires);
      }
      const e = Number(res.headers.get('expires'));
      if (Number.isInteger(e) && e > 0) fromHeader = e;
    } catch {
      // A malformed Contact in the 200: keep what we asked for.
    }
    return fromHeader ?? this.expires;
  }
}
