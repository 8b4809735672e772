/**
 * What call control needs from modules beside it, as small ports the daemon fills in:
 *  - ContactLocator: where an extension's phone is (sip/registrar `Registrar.lookup(aor)`, or a
 *    static table in tests);
 *  - InviteGuard: whether a new INVITE may go on (sip/auth digest challenge for phones, trunk
 *    ACLs in sip/trunks); answers with the response to send when not, or who the caller is;
 *  - FlowProvider: the published IVR flow by id (ivr/flow-store, or the default 95598 flow).
 */
import type { PartyNumber } from '../channel/channel.js';
import type { Flow } from '../ivr/flow-schema.js';
import type { NextHop } from '../sip/dialog/dialog.js';
import type { SipRequest, Uri } from '../sip/message/index.js';
import type { Source } from '../sip/transport/index.js';

export interface LocatedContact {
  /** Request-URI for the INVITE (the registered Contact). */
  uri: Uri;
  /** Where to send it (the REGISTER's source address: NAT-safe). */
  hop: NextHop;
}

export interface ContactLocator {
  locate(extension: string): LocatedContact[];
}

export type GuardResult = ({ ok: true } & Admission) | { ok: false; status: number; headers: ReadonlyArray<[string, string]> };

/**
 * Who an admitted INVITE is (all optional): the phone's authenticated extension (Digest), or the
 * SIP trunk it came from (sip/trunks: ACL) with the channel it holds, its codec order and the
 * caller/called parties read from P-Asserted-Identity / Privacy / the DID.
 */
export interface Admission {
  user?: { extension: string };
  trunk?: { id: string; codecs: readonly ('PCMA' | 'PCMU')[]; lease: { release(): void } };
  caller?: PartyNumber;
  called?: PartyNumber;
}

export interface InviteGuard {
  check(req: SipRequest, source: Source): GuardResult;
}

export interface FlowProvider {
  flow(flowId: string): Flow | null | Promise<Flow | null>;
}
