/**
 * A SIP trunk's configuration (issue 3 "Trunks"): operator data in `sip_trunks` (migration
 * 0017), checked by this one zod schema for the REST body, the store and the daemon.
 *
 *  - where the carrier is: host, port, transport;
 *  - how we are known to it: `registration` (RFC 3261 §10 REGISTER with Digest credentials,
 *    refreshed before expiry) or `ip` (the carrier trusts our address; nothing is sent);
 *  - how we know it: `acl`, CIDR blocks its INVITEs come from (RFC 4632), optionally narrowed to
 *    one source port. A request from the ACL is the trunk's and skips phone Digest auth; the
 *    called number (DID) is taken from the Request-URI or the To header and routed by the
 *    inbound dialplan;
 *  - `channels`: concurrent calls in + out (0 = no limit); `codecs`: offer/answer preference;
 *  - caller ID out: the number presented (`callerId`), and whether the identity is asserted
 *    with P-Asserted-Identity (RFC 3325 §9.1) and withheld with Privacy: id (RFC 3323 §4.2);
 *  - `qualifySeconds`: OPTIONS health checks (RFC 3261 §11), 0 = off.
 * The registration password is write-only: `publicTrunk` drops it from what is read back.
 */
import { z } from 'zod';
import { AddressSet } from '../security/address-set.js';

export const TrunkTransports = ['udp', 'tcp', 'tls'] as const;
export const TrunkCodecs = ['PCMA', 'PCMU'] as const;

const Cidr = z
  .string()
  .trim()
  .min(1)
  .refine((s) => {
    try {
      new AddressSet([s]);
      return true;
    } catch {
      return false;
    }
  }, 'an IP address or CIDR block (10.0.0.0/24, 2001:db8::/32)');

const Host = z.string().trim().regex(/^(?:[A-Za-z0-9.-]{1,253}|\[?[0-9A-Fa-f:.]{2,45}\]?)$/, 'a host name or IP address');
const Digits = z.string().regex(/^\+?[0-9]{1,32}$/, 'digits, optionally after "+"');

export const RegistrationSchema = z
  .object({
    kind: z.literal('registration'),
    username: z.string().min(1).max(128),
    /** Digest auth user, when it differs from the AOR user. */
    authUser: z.string().min(1).max(128).nullable().default(null),
    password: z.string().min(1).max(256),
    /** The AOR / registrar domain (default: host). */
    domain: Host.nullable().default(null),
    /** Expires we ask for, seconds. */
    expires: z.number().int().min(60).max(86_400).default(600),
  })
  .strict();

export const TrunkSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lower-case letters, digits and "-"'),
    name: z.string().trim().min(1).max(100),
    host: Host,
    port: z.number().int().min(1).max(65_535).default(5060),
    transport: z.enum(TrunkTransports).default('udp'),
    auth: z.discriminatedUnion('kind', [RegistrationSchema, z.object({ kind: z.literal('ip') }).strict()]).default({ kind: 'ip' }),
    acl: z.array(Cidr).max(64).default([]),
    /** Only requests from this source port are the trunk's (a carrier sharing an address with phones). */
    sourcePort: z.number().int().min(1).max(65_535).nullable().default(null),
    /** Where the DID of an inbound call is read. */
    didFrom: z.enum(['request-uri', 'to']).default('request-uri'),
    channels: z.number().int().min(0).max(10_000).default(0),
    codecs: z
      .array(z.enum(TrunkCodecs))
      .min(1)
      .max(2)
      .refine((c) => new Set(c).size === c.length, 'each codec once')
      .default(['PCMA', 'PCMU']),
    callerId: z
      .object({
        /** Number presented to the carrier (a DID of the site); null = the caller's own number. */
        number: Digits.nullable().default(null),
        /** Send P-Asserted-Identity (the carrier trusts us, RFC 3325 §2). */
        assert: z.boolean().default(true),
        /** Withhold every caller's identity (Privacy: id, anonymous From). */
        restrict: z.boolean().default(false),
      })
      .strict()
      .default({ number: null, assert: true, restrict: false }),
    qualifySeconds: z.number().int().min(0).max(3600).default(60),
    enabled: z.boolean().default(true),
  })
  .strict();

export type TrunkConfig = z.infer<typeof TrunkSchema>;
export type TrunkInput = z.input<typeof TrunkSchema>;

/** What the API shows of a trunk: everything but the registration password. */
export const PublicTrunkSchema = TrunkSchema.extend({
  auth: z.discriminatedUnion('kind', [RegistrationSchema.omit({ password: true }).extend({ password: z.literal('********') }), z.object({ kind: z.literal('ip') }).strict()]),
});
export type PublicTrunk = z.input<typeof PublicTrunkSchema>;

export function publicTrunk(t: TrunkConfig): PublicTrunk {
  return { ...t, auth: t.auth.kind === 'registration' ? { ...t.auth, password: '********' as const } : t.auth };
}

/** The inbound ACL, with the host itself when it is an address and no ACL was given. */
export function aclOf(t: TrunkConfig): AddressSet {
  if (t.acl.length > 0) return new AddressSet(t.acl);
  try {
    return new AddressSet([t.host.replace(/^\[|\]$/g, '')]);
  } catch {
    return new AddressSet([]);
  }
}
