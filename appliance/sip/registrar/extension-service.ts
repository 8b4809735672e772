/**
 * Agents' SIP phone accounts (issue 3 "extensions with credentials in the database"): create,
 * change, remove and list extensions, validated with zod (the same schemas the REST API and the
 * panel will use), and the ExtensionDirectory port of auth/ on top of them.
 * The password is taken once and stored only as H(A1) = H(authUser ":" realm ":" password) for
 * MD5 and SHA-256 (RFC 7616 §3.4.2; RFC 3261 §22.4 "credentials ... the server need only store
 * H(A1)"); an HA1 made under another realm cannot verify and is treated like an unknown user, so
 * changing the realm means setting passwords again.
 */
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../../core/errors.js';
import { ha1, type DirectoryEntry, type ExtensionDirectory } from '../auth/index.js';
import type { ExtensionRecord, ExtensionStore } from './sip-store.js';

/** Dialable extension number: digits only (it is the AOR user part and a dialplan target). */
const number = z.string().regex(/^[0-9]{2,15}$/, 'extension number: 2 to 15 digits');
/** RFC 3261 token characters minus the ones phones mangle; the auth user is sent quoted in Digest. */
const authUser = z.string().regex(/^[A-Za-z0-9._~-]{1,64}$/, 'auth user: 1 to 64 of A-Z a-z 0-9 . _ ~ -');
const password = z.string().min(8, 'password: at least 8 characters').max(128);
const displayName = z.string().trim().min(1).max(64).refine((s) => !/[\u0000-\u001f\u007f"\\]/.test(s), 'display name: no control characters, quotes or backslashes');

export const ExtensionCreateSchema = z
  .object({
    number,
    displayName,
    /** Defaults to the number. */
    authUser: authUser.optional(),
    password,
    enabled: z.boolean().default(true),
    maxContacts: z.number().int().min(1).max(50).default(5),
  })
  .strict();
export type ExtensionCreate = z.input<typeof ExtensionCreateSchema>;

export const ExtensionUpdateSchema = z
  .object({ displayName, authUser, password, enabled: z.boolean(), maxContacts: z.number().int().min(1).max(50) })
  .partial()
  .strict();
export type ExtensionUpdate = z.input<typeof ExtensionUpdateSchema>;

/** What the API and panel see: never the HA1s. */
export interface ExtensionView {
  number: string;
  displayName: string;
  authUser: string;
  enabled: boolean;
  maxContacts: number;
  createdAt: number;
  updatedAt: number;
}

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  throw new ValidationError(`invalid ${what}`, r.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })));
}

function view(r: ExtensionRecord): ExtensionView {
  return { number: r.number, displayName: r.displayName, authUser: r.authUser, enabled: r.enabled, maxContacts: r.maxContacts, createdAt: r.createdAt, updatedAt: r.updatedAt };
}

export class ExtensionService implements ExtensionDirectory {
  constructor(private readonly deps: { store: ExtensionStore; clock: Pick<Clock, 'now'>; realm: string }) {}

  create(input: unknown): ExtensionView {
    const v = parse(ExtensionCreateSchema, input, 'extension');
    const au = v.authUser ?? v.number;
    if (this.deps.store.getExtension(v.number)) throw new ConflictError(`extension ${v.number} exists`);
    if (this.deps.store.extensionByAuthUser(au)) throw new ConflictError(`auth user ${au} is taken`);
    const now = this.deps.clock.now();
    const rec: ExtensionRecord = {
      number: v.number,
      displayName: v.displayName,
      authUser: au,
      ...this.hashes(au, v.password),
      enabled: v.enabled,
      maxContacts: v.maxContacts,
      createdAt: now,
      updatedAt: now,
    };
    this.deps.store.insertExtension(rec);
    return view(rec);
  }

  update(num: string, input: unknown): ExtensionView {
    const v = parse(ExtensionUpdateSchema, input, 'extension');
    const cur = this.deps.store.getExtension(num);
    if (!cur) throw new NotFoundError('extension', num);
    const au = v.authUser ?? cur.authUser;
    if (au !== cur.authUser) {
      if (this.deps.store.extensionByAuthUser(au)) throw new ConflictError(`auth user ${au} is taken`);
      // H(A1) includes the user name: a new auth user needs the password to rehash.
      if (v.password === undefined) throw new ValidationError('invalid extension', [{ path: 'password', message: 'required when the auth user changes' }]);
    }
    const next: ExtensionRecord = {
      ...cur,
      displayName: v.displayName ?? cur.displayName,
      authUser: au,
      ...(v.password === undefined ? {} : this.hashes(au, v.password)),
      enabled: v.enabled ?? cur.enabled,
      maxContacts: v.maxContacts ?? cur.maxContacts,
      updatedAt: this.deps.clock.now(),
    };
    this.deps.store.updateExtension(next);
    return view(next);
  }

  remove(num: string): void {
    if (!this.deps.store.deleteExtension(num)) throw new NotFoundError('extension', num);
  }

  get(num: string): ExtensionView | null {
    const r = this.deps.store.getExtension(num);
    return r ? view(r) : null;
  }

  list(): ExtensionView[] {
    return this.deps.store.listExtensions().map(view);
  }

  /** The record behind an extension number (registrar: enabled, contact limit). */
  record(num: string): ExtensionRecord | null {
    return this.deps.store.getExtension(num);
  }

  credentials(au: string): DirectoryEntry | null {
    const r = this.deps.store.extensionByAuthUser(au);
    if (!r || r.realm !== this.deps.realm) return null;
    return { extension: r.number, authUser: r.authUser, enabled: r.enabled, ha1: { MD5: r.ha1Md5, 'SHA-256': r.ha1Sha256 } };
  }

  private hashes(au: string, pw: string): Pick<ExtensionRecord, 'realm' | 'ha1Md5' | 'ha1Sha256'> {
    const realm = this.deps.realm;
    return { realm, ha1Md5: ha1('MD5', au, realm, pw), ha1Sha256: ha1('SHA-256', au, realm, pw) };
  }
}
